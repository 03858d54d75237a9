// Asking the running proxy for its status report over its metrics address (read-only, local).
import { get } from 'node:http';
import { parseBindAddress } from '../runner/http.js';
import type { StatusFilter } from './build.js';
import type { StatusReport } from './report.js';

/** The report, or undefined when no proxy answers at `bind` ("host:port"; 0.0.0.0 and :: mean this host). */
export function fetchStatus(bind: string, filter: StatusFilter = {}, timeoutMs = 5000): Promise<StatusReport | undefined> {
  if (bind === '') return Promise.resolve(undefined);
  const { host, port } = parseBindAddress(bind);
  const local = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const query = new URLSearchParams({ ...(filter.service ? { service: filter.service } : {}), ...(filter.address ? { address: filter.address } : {}) }).toString();
  return new Promise((resolve) => {
    const req = get({ host: local, port, path: `/status${query ? `?${query}` : ''}`, timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        if (res.statusCode !== 200) { resolve(undefined); return; }
        try { resolve(JSON.parse(Buffer.concat(chunks).toString()) as StatusReport); } catch { resolve(undefined); }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}
