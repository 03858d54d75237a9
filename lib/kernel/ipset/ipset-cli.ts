// ipsets written through the ipset tool, one `ipset restore` per sync (never one process per
// entry, upstream's #133773), and read either over netlink (the proxy) or with `ipset save` (tests
// in a network namespace, where this process's sockets cannot reach).
import { KernelError } from '../errors.js';
import { runTool, type ToolRunner } from '../tool.js';
import { parseIpsetSave } from './save-format.js';
import { restoreText } from './restore-text.js';
import { OWNED_PREFIX, type Ipsets, type SetChange, type SetState } from './types.js';

export interface SetReader {
  list(keep: (name: string) => boolean): Promise<Map<string, SetState>>;
}

export class IpsetCli implements Ipsets {
  constructor(private readonly run: ToolRunner = runTool, private readonly reader?: SetReader) {}

  async list(): Promise<Map<string, SetState>> {
    if (this.reader) return this.reader.list((name) => name.startsWith(OWNED_PREFIX));
    const r = await this.run('ipset', ['save']);
    if (r.code !== 0) throw new KernelError('IPSET', 'list ipsets', 'all', r.stderr.trim());
    return parseIpsetSave(r.stdout, (name) => name.startsWith(OWNED_PREFIX));
  }

  async apply(changes: readonly SetChange[]): Promise<void> {
    const script = restoreText(changes);
    if (script === '') return;
    const r = await this.run('ipset', ['restore'], script);
    if (r.code !== 0) {
      const err = r.stderr.trim();
      const line = /Error in line (\d+)/.exec(err)?.[1];
      const text = line ? script.split('\n')[Number(line) - 1] : undefined;
      throw new KernelError('IPSET', 'ipset restore', text ? `line ${line} "${text}"` : 'script', err.replace(/^ipset v[\d.]+: /, ''));
    }
  }
}
