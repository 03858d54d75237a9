// `ipvs-proxy status [NAMESPACE/NAME]`: each Service with its virtual servers and real servers,
// connections and rates, the last sync and its problems, from the running proxy's /status; when
// no proxy answers, the virtual servers from the kernel alone.
import { command } from '../command.js';
import { option } from '../options.js';
import { METRICS_BIND_OPTION } from './run.js';
import { fetchStatus } from '../../status/client.js';
import { kernelStatus } from '../../status/build.js';
import { readKernelTable } from '../../status/read-table.js';
import { renderStatus } from '../../status/render.js';
import { openKernelOrLog } from '../../sync/open-kernel.js';
import type { StatusReport } from '../../status/report.js';

export const OUTPUT_OPTION = option({ key: 'output', flag: 'output', doc: 'text for people, json for tools', type: 'string', default: 'text', choices: ['text', 'json'], meta: 'FORMAT' });

export const statusCommand = command({
  name: 'status',
  summary: "show each Service's virtual servers, real servers, connections and the last sync (from the running proxy, else the kernel)",
  options: [METRICS_BIND_OPTION, OUTPUT_OPTION] as const,
  run: async ({ settings, positionals, stdout, stderr, log }) => {
    const service = positionals[0];
    if (service !== undefined && !/^[^/\s]+\/[^/\s]+$/.test(service)) { stderr.write(`ipvs-proxy status: "${service}" is not NAMESPACE/NAME\n`); return 2; }
    let report: StatusReport | undefined = await fetchStatus(settings.metricsBindAddress, service ? { service } : {});
    if (!report) {
      if (service) stderr.write(`no ipvs-proxy answers at ${settings.metricsBindAddress || '(metrics disabled)'}: Service names are not known, showing every virtual server\n`);
      const kernel = await openKernelOrLog(log);
      if (!kernel) return 1;
      try { report = kernelStatus(await readKernelTable(kernel.ipvs)); } finally { kernel.close(); }
    } else if (service && report.services.length === 0) {
      stderr.write(`ipvs-proxy status: the proxy programs no Service ${service}\n`);
    }
    stdout.write(settings.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report));
    return 0;
  },
});
