// Small HTTP listeners for health and metrics: "host:port" parsing and a promise-based listen.
import { createServer, type RequestListener, type Server } from 'node:http';

export function parseBindAddress(text: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`"${text}" is not host:port`);
  return { host: m[1] === '' ? '0.0.0.0' : m[1]!, port };
}

export function listen(bind: { host: string; port: number }, handler: RequestListener): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.once('error', reject);
    server.listen(bind.port, bind.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export const closeServer = (s: Server) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); });
