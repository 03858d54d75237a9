// `ipvs-proxy cleanup` (kube-proxy's --cleanup): remove the state of Kubernetes service proxying
// from this node and exit. --dry-run prints what would be removed.
import { command, type CommandContext, type CommandSettings } from '../command.js';
import { option } from '../options.js';
import { EXCLUDE_CIDRS_OPTION, IP_FAMILIES_OPTION, familiesFrom } from '../options-model.js';
import { applyCleanup, describeCleanup, planCleanup } from '../../cleanup/cleanup.js';
import { openKernelOrLog } from '../../sync/open-kernel.js';

export const CLEANUP_OPTIONS = [
  option({ key: 'dryRun', flag: 'dry-run', doc: 'print what would be removed, remove nothing', type: 'boolean', default: false }),
  EXCLUDE_CIDRS_OPTION,
  IP_FAMILIES_OPTION,
] as const;

/** Also run by `run --cleanup`, whose settings hold these. */
export async function runCleanup({ settings, stdout, log }: CommandContext<CommandSettings<typeof CLEANUP_OPTIONS>>): Promise<number> {
  const kernel = await openKernelOrLog(log);
  if (!kernel) return 1;
  try {
    const plan = await planCleanup(kernel, familiesFrom(settings), settings.excludeCidrs);
    const lines = describeCleanup(plan);
    const kept = plan.kept.length ? `; ${plan.kept.length} virtual server(s) not attributable to Kubernetes left alone` : '';
    if (settings.dryRun) {
      stdout.write(lines.map((l) => `would ${l}\n`).join(''));
      stdout.write(`dry run: ${lines.length} object(s) would be removed${kept}\n`);
      return 0;
    }
    const result = await applyCleanup(kernel, plan, log);
    stdout.write(lines.map((l) => `${l}\n`).join(''));
    const failed = result.failed.length ? `, ${result.failed.length} step(s) failed` : '';
    const skipped = result.skipped ? `, ${result.skipped} not attempted after the failure` : '';
    stdout.write(`removed ${result.removed} object(s)${failed}${skipped}${kept}\n`);
    return result.failed.length ? 1 : 0;
  } finally {
    kernel.close();
  }
}

export const cleanupCommand = command({
  name: 'cleanup',
  summary: 'remove the IPVS, ipset, iptables and kube-ipvs0 state of service proxying from this node, then exit',
  options: CLEANUP_OPTIONS,
  run: runCleanup,
});
