// iptables through iptables-save / iptables-restore of the backend the host already uses
// (nf_tables or legacy): rules written with the other backend would be invisible to it.
import { KernelError } from '../errors.js';
import { runTool, type ToolRunner } from '../tool.js';
import type { IpFamily } from '../../net/address.js';
import { restoreText } from './save-text.js';
import type { Backend, Iptables, Table, TableWrite } from './types.js';

export class IptablesCli implements Iptables {
  constructor(readonly backend: Backend, private readonly run: ToolRunner = runTool) {}

  /** Choose the backend like iptables-wrapper: the one holding KUBE- rules, else more rules, else the default. */
  static async detect(run: ToolRunner = runTool): Promise<IptablesCli> {
    const count = async (b: Backend) => {
      const r = await run(`iptables-${b}-save`, []);
      if (r.code !== 0) return undefined;
      const rules = r.stdout.split('\n').filter((l) => l.startsWith('-A ') || l.startsWith(':KUBE-'));
      return { kube: rules.filter((l) => l.includes('KUBE-')).length, all: rules.length };
    };
    const [nft, legacy] = await Promise.all([count('nft'), count('legacy')]);
    if (!nft && !legacy) throw new KernelError('ENOENT', 'detect iptables backend', 'iptables-nft-save/iptables-legacy-save', 'neither tool works; install iptables');
    if (!nft) return new IptablesCli('legacy', run);
    if (!legacy) return new IptablesCli('nft', run);
    if (nft.kube !== legacy.kube) return new IptablesCli(nft.kube > legacy.kube ? 'nft' : 'legacy', run);
    if (nft.all !== legacy.all) return new IptablesCli(nft.all > legacy.all ? 'nft' : 'legacy', run);
    const v = await run('iptables', ['--version']);
    return new IptablesCli(/legacy/.test(v.stdout) ? 'legacy' : 'nft', run);
  }

  private tool(family: IpFamily, verb: 'save' | 'restore'): string {
    return `${family === 6 ? 'ip6tables' : 'iptables'}-${this.backend}-${verb}`;
  }

  async save(family: IpFamily, table: Table): Promise<string> {
    const r = await this.run(this.tool(family, 'save'), ['-t', table]);
    if (r.code !== 0) throw new KernelError('IPTABLES', `${this.tool(family, 'save')} -t`, table, r.stderr.trim());
    return r.stdout;
  }

  async write(family: IpFamily, w: TableWrite): Promise<void> {
    const r = await this.run(this.tool(family, 'restore'), ['--noflush', '--wait=5'], restoreText(w));
    if (r.code !== 0) throw new KernelError('IPTABLES', `${this.tool(family, 'restore')} --noflush`, `table ${w.table}`, r.stderr.trim());
  }
}
