// `ipvs-proxy cleanup` (kube-proxy's --cleanup): remove the state of Kubernetes service proxying
// from this node and exit. --dry-run prints what would be removed.
import type { Command, CommandContext } from '../command.js';
import type { OptionSpec } from '../options.js';
import { MODEL_OPTIONS } from '../options-model.js';
import type { IpFamily } from '../../net/address.js';
import { applyCleanup, describeCleanup, planCleanup } from '../../cleanup/cleanup.js';
import { openKernelOrLog } from '../../sync/open-kernel.js';

const pick = (key: string) => MODEL_OPTIONS.find((o) => o.key === key)!;

export const CLEANUP_OPTIONS: readonly OptionSpec[] = [
  { key: 'dryRun', flag: 'dry-run', doc: 'print what would be removed, remove nothing', type: 'boolean', default: false },
  pick('excludeCidrs'),
  pick('ipFamilies'),
];

export async function runCleanup({ settings, stdout, log }: CommandContext): Promise<number> {
  const kernel = await openKernelOrLog(log);
  if (!kernel) return 1;
  try {
    const families = [...new Set((settings.ipFamilies as string[]).map((f) => Number(f) as IpFamily))];
    const plan = await planCleanup(kernel, families, settings.excludeCidrs as string[]);
    const lines = describeCleanup(plan);
    const kept = plan.kept.length ? `; ${plan.kept.length} virtual server(s) not attributable to Kubernetes left alone` : '';
    if (settings.dryRun) {
      stdout.write(lines.map((l) => `would ${l}\n`).join(''));
      stdout.write(`dry run: ${lines.length} object(s) would be removed${kept}\n`);
      return 0;
    }
    const result = await applyCleanup(kernel, plan, log);
    stdout.write(lines.map((l) => `${l}\n`).join(''));
    stdout.write(`removed ${result.removed} object(s)${result.failed.length ? `, ${result.failed.length} step(s) failed` : ''}${kept}\n`);
    return result.failed.length ? 1 : 0;
  } finally {
    kernel.close();
  }
}

export const cleanupCommand: Command = {
  name: 'cleanup',
  summary: 'remove the IPVS, ipset, iptables and kube-ipvs0 state of service proxying from this node, then exit',
  options: CLEANUP_OPTIONS,
  run: runCleanup,
};
