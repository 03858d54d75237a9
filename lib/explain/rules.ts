// Walking a packet through the live iptables rules, as read with iptables-save: from a built-in
// chain through its jumps into the KUBE-* chains, rule by rule, with the matches the proxy's
// skeleton uses (addresses, interfaces, protocol, sets, addrtype, mark, conntrack state, ipvs,
// physdev). Rules in the built-in chains that do not jump to a KUBE-* chain belong to others and are
// not evaluated; a KUBE-* rule with a match this walk does not know is reported, not guessed.
import { cidrContains } from '../net/address.js';
import type { SetState } from '../kernel/ipset/types.js';
import type { Protocol, VirtualServerKey } from '../kernel/ipvs/types.js';
import { PROTOCOL_NUMBERS } from '../kernel/ipvs/types.js';
import { setMatch } from './set-match.js';

export interface SavedRule {
  readonly chain: string;
  /** the rule as iptables-save prints it */
  readonly text: string;
  readonly words: readonly string[];
}

/** The rules of one table by chain, in order. */
export type SavedTable = ReadonlyMap<string, readonly SavedRule[]>;

/** iptables-save's words: split on blanks, with "double quoted" words kept whole. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return words;
}

export function parseSavedTable(saved: string): SavedTable {
  const out = new Map<string, SavedRule[]>();
  for (const line of saved.split('\n')) {
    if (!line.startsWith('-A ')) continue;
    const words = splitWords(line);
    const chain = words[1]!;
    let list = out.get(chain);
    if (!list) out.set(chain, (list = []));
    list.push({ chain, text: line, words: words.slice(2) });
  }
  return out;
}

/** The packet as the rules of one hook see it. */
export interface RulePacket {
  readonly protocol: Protocol;
  readonly source: string;
  readonly destination: string;
  readonly sourcePort: number | undefined;
  readonly destinationPort: number;
  /** the interface it came in by; undefined for a packet of this host (OUTPUT) */
  readonly inInterface: string | undefined;
  /** came in through a bridge port with bridge netfilter on (-m physdev --physdev-is-in) */
  readonly bridged: boolean;
  /** the virtual server IPVS gave it to, for -m ipvs (after IPVS has seen it) */
  readonly ipvs: VirtualServerKey | undefined;
}

export interface RuleContext {
  readonly sets: ReadonlyMap<string, SetState>;
  /** an address of this host (-m addrtype LOCAL) */
  readonly isLocal: (address: string) => boolean;
}

export interface RuleStep {
  readonly table: string;
  readonly chain: string;
  readonly rule: string;
  /** what the rule did: "jump", "mark 0x4000", "ACCEPT"…, and the set member that matched */
  readonly effect: string;
}

export type Verdict = 'ACCEPT' | 'DROP' | 'REJECT' | 'MASQUERADE' | 'none';

export interface WalkResult {
  readonly verdict: Verdict;
  readonly mark: number;
  readonly steps: readonly RuleStep[];
  /** KUBE-* rules with a match this walk cannot evaluate (taken as not matching) */
  readonly unknown: readonly string[];
}

/** Walk `chain` (a built-in chain) of a table; `mark` is the packet's mark before it. */
export function walkChain(table: SavedTable, tableName: string, chain: string, p: RulePacket, ctx: RuleContext, mark = 0): WalkResult {
  const steps: RuleStep[] = [];
  const unknown: string[] = [];
  let m = mark;
  const visit = (name: string, depth: number): Verdict | 'RETURN' | 'end' => {
    if (depth > 16) return 'end';
    for (const rule of table.get(name) ?? []) {
      const builtin = !name.startsWith('KUBE-');
      const target = targetOf(rule.words);
      if (builtin && !target.name.startsWith('KUBE-')) continue;
      const r = matches(rule.words, p, ctx, m);
      if (r.unknown) { unknown.push(`${rule.text} (${r.unknown})`); continue; }
      if (!r.matched) continue;
      const member = r.members.length > 0 ? ` (${r.members.join('; ')})` : '';
      switch (target.name) {
        case 'RETURN': steps.push({ table: tableName, chain: name, rule: rule.text, effect: `RETURN${member}` }); return 'RETURN';
        case 'ACCEPT': case 'DROP': case 'REJECT': case 'MASQUERADE':
          steps.push({ table: tableName, chain: name, rule: rule.text, effect: `${target.name}${member}` });
          return target.name;
        case 'MARK': {
          const [value, maskText] = (target.args['--set-xmark'] ?? '0/0').split('/');
          const v = Number(value), mask = Number(maskText ?? '0xffffffff');
          m = ((m & ~mask) ^ v) >>> 0;
          steps.push({ table: tableName, chain: name, rule: rule.text, effect: `mark now 0x${m.toString(16)}${member}` });
          continue;
        }
        default: {
          if (!table.has(target.name)) { unknown.push(`${rule.text} (target ${target.name})`); continue; }
          steps.push({ table: tableName, chain: name, rule: rule.text, effect: `jump to ${target.name}${member}` });
          const v = visit(target.name, depth + 1);
          if (v !== 'RETURN' && v !== 'end') return v;
        }
      }
    }
    return 'end';
  };
  const v = visit(chain, 0);
  return { verdict: v === 'RETURN' || v === 'end' ? 'none' : v, mark: m, steps, unknown };
}

function targetOf(words: readonly string[]): { name: string; args: Record<string, string> } {
  const j = words.indexOf('-j');
  const args: Record<string, string> = {};
  if (j < 0) return { name: '', args };
  for (let i = j + 2; i < words.length; i++) if (words[i]!.startsWith('--')) args[words[i]!] = words[i + 1] && !words[i + 1]!.startsWith('--') ? words[++i]! : '';
  return { name: words[j + 1]!, args };
}

interface MatchResult { readonly matched: boolean; readonly unknown?: string; readonly members: string[] }

/** Whether the words before -j match the packet; each option may be negated by a "!" before it. */
function matches(words: readonly string[], p: RulePacket, ctx: RuleContext, mark: number): MatchResult {
  const members: string[] = [];
  const no = (unknown?: string): MatchResult => ({ matched: false, unknown, members });
  let negate = false;
  let module = '';
  const end = words.indexOf('-j') < 0 ? words.length : words.indexOf('-j');
  for (let i = 0; i < end; i++) {
    const w = words[i]!;
    if (w === '!') { negate = true; continue; }
    const arg = () => words[++i] ?? '';
    let ok: boolean;
    switch (w) {
      case '-m': module = arg(); continue;
      case '--comment': arg(); continue;
      case '-s': ok = inNet(arg(), p.source); break;
      case '-d': ok = inNet(arg(), p.destination); break;
      case '-i': ok = p.inInterface !== undefined && ifaceMatch(arg(), p.inInterface); break;
      case '-p': ok = arg() === p.protocol; break;
      case '--match-set': {
        const name = arg();
        const dirs = arg().split(',');
        const set = ctx.sets.get(name);
        if (!set) return no(`no set ${name}`);
        const member = setMatch(set, dirs, p);
        ok = member !== undefined;
        if (member !== undefined && !negate) members.push(`${name} holds ${member}`);
        break;
      }
      case '--src-type': case '--dst-type': {
        const type = arg();
        if (type !== 'LOCAL' || module !== 'addrtype') return no(`${w} ${type}`);
        ok = ctx.isLocal(w === '--src-type' ? p.source : p.destination);
        break;
      }
      case '--mark': {
        const [value, maskText] = arg().split('/');
        ok = (mark & Number(maskText ?? '0xffffffff')) === Number(value);
        break;
      }
      case '--physdev-is-in': ok = p.bridged; break;
      // a first packet: the flow is NEW
      case '--ctstate': ok = arg().split(',').includes('NEW'); break;
      case '--vproto': ok = p.ipvs !== undefined && Number(arg()) === PROTOCOL_NUMBERS[p.ipvs.protocol]; break;
      case '--vaddr': ok = p.ipvs !== undefined && inNet(arg(), p.ipvs.address); break;
      case '--vport': ok = p.ipvs !== undefined && Number(arg()) === p.ipvs.port; break;
      default: return no(`match ${w}`);
    }
    if (ok === negate) return no();
    negate = false;
  }
  return { matched: true, members };
}

const inNet = (net: string, address: string) => {
  try { return net.includes('/') ? cidrContains(net, address) : net === address; } catch { return false; }
};
const ifaceMatch = (pattern: string, iface: string) => (pattern.endsWith('+') ? iface.startsWith(pattern.slice(0, -1)) : iface === pattern);
