// Reading ipsets over nfnetlink (UAPI linux/netfilter/ipset/ip_set.h): one IPSET_CMD_LIST dump of
// every set. `ipset save` prints the same thing but spends milliseconds per ip,port entry naming
// its protocol; at tens of thousands of entries that was most of a full resync.
// Members come out in ipset's own text ("10.96.0.1,tcp:443"), so plans and the tool agree.
import { NetlinkChannel, type ChannelOptions } from '../netlink/channel.js';
import { iterateAttributes, parseAttributes, readString, u8 } from '../netlink/attributes.js';
import { KernelError, isKernelError } from '../errors.js';
import { ipFromBytes } from '../../net/address.js';
import { OWNED_PREFIX, type SetState, type SetType } from './types.js';
import { flat } from '../../flat-string.js';

export const NETLINK_NETFILTER = 12;
const NFNL_SUBSYS_IPSET = 6;
const IPSET_CMD_LIST = 7;
const IPSET_PROTOCOL_MIN = 6;
const AF_INET = 2;
const NFPROTO_IPV6 = 10;
const Attr = { PROTOCOL: 1, SETNAME: 2, TYPENAME: 3, FAMILY: 5, ADT: 8 } as const;
const Data = 7; // IPSET_ATTR_DATA: one element inside ADT
const Elem = { IP: 1, CIDR: 3, PORT: 4, PROTO: 7, IP2: 20, CIDR2: 21 } as const;
const IpAddr = { V4: 1, V6: 2 } as const;
const PROTOCOL_NAMES = new Map([[6, 'tcp'], [17, 'udp'], [132, 'sctp'], [136, 'udplite']]);
const ICMP_NAMES = new Map([[1, 'icmp'], [58, 'icmpv6']]);

type Sets = Map<string, SetState & { readonly members: Set<string> }>;

/** nfgenmsg: family, version NFNETLINK_V0, resource id 0 (big endian). */
const nfgenmsg = (family: number) => Buffer.from([family, 0, 0, 0]);

export class IpsetNetlinkReader {
  private constructor(private readonly channel: NetlinkChannel) {}

  static open(opts: ChannelOptions = {}): IpsetNetlinkReader {
    return new IpsetNetlinkReader(new NetlinkChannel(NETLINK_NETFILTER, opts));
  }

  close(): void { this.channel.close(); }

  /** Every set whose name passes keep (default: KUBE-*), with its members. */
  async list(keep: (name: string) => boolean = (n) => n.startsWith(OWNED_PREFIX)): Promise<Map<string, SetState>> {
    let msgs;
    try {
      msgs = await this.channel.dump((NFNL_SUBSYS_IPSET << 8) | IPSET_CMD_LIST, [nfgenmsg(AF_INET), u8(Attr.PROTOCOL, IPSET_PROTOCOL_MIN)], {
        operation: 'list ipsets', object: 'all',
      });
    } catch (e) {
      if (isKernelError(e, 'EOPNOTSUPP') || isKernelError(e, 'EPROTONOSUPPORT')) {
        throw new KernelError(e.code, 'list ipsets', 'all', 'the ip_set kernel module is not loaded');
      }
      throw e;
    }
    const sets: Sets = new Map();
    for (const m of msgs) decodeMessage(m.data.subarray(4), keep, sets);
    return sets;
  }
}

/** One message of the dump: a set's header (first message of a set) and/or a batch of its members. */
function decodeMessage(payload: Buffer, keep: (name: string) => boolean, sets: Sets): void {
  const a = parseAttributes(payload);
  const nameAttr = a.get(Attr.SETNAME);
  if (!nameAttr) return;
  const name = readString(nameAttr);
  if (!keep(name)) return;
  let set = sets.get(name);
  if (!set) {
    const type = a.get(Attr.TYPENAME);
    if (!type) throw new KernelError('EPROTO', 'list ipsets', name, 'members before the set header');
    set = { name, type: readString(type) as SetType, family: a.get(Attr.FAMILY)?.[0] === NFPROTO_IPV6 ? 6 : 4, members: new Set() };
    sets.set(name, set);
  }
  const adt = a.get(Attr.ADT);
  if (!adt) return;
  for (const [type, elem] of iterateAttributes(adt)) {
    if (type === Data) set.members.add(memberText(elem, name));
  }
}

/** An element in ipset's save text: ip | port | ip,proto:port | ip,proto:port,ip | ip,proto:port,net/cidr. */
export function memberText(elem: Buffer, setName: string): string {
  let ip: string | undefined;
  let ip2: string | undefined;
  let port: number | undefined;
  let proto: number | undefined;
  let cidr: number | undefined;
  let cidr2: number | undefined;
  for (const [type, v] of iterateAttributes(elem)) {
    switch (type) {
      case Elem.IP: ip = address(v, setName); break;
      case Elem.IP2: ip2 = address(v, setName); break;
      case Elem.PORT: port = v.readUInt16BE(0); break;
      case Elem.PROTO: proto = v[0]; break;
      case Elem.CIDR: cidr = v[0]; break;
      case Elem.CIDR2: cidr2 = v[0]; break;
    }
  }
  if (ip === undefined) {
    if (port === undefined) throw new KernelError('EPROTO', 'list ipsets', setName, 'an element with neither address nor port');
    return String(port);
  }
  let text = withPrefix(ip, cidr);
  if (port !== undefined) text += `,${protoPort(proto ?? 0, port)}`;
  if (ip2 !== undefined) text += `,${withPrefix(ip2, cidr2)}`;
  // kept until the plan (a full resync reads ~100,000 at 30,000 Services): one flat string, not a tree of pieces
  return flat(text);
}

// ipset omits the prefix of a single address.
const withPrefix = (ip: string, cidr: number | undefined) =>
  cidr === undefined || cidr === (ip.includes(':') ? 128 : 32) ? ip : `${ip}/${cidr}`;

function protoPort(proto: number, port: number): string {
  const icmp = ICMP_NAMES.get(proto);
  if (icmp) return `${icmp}:${port >> 8}/${port & 0xff}`;
  return `${PROTOCOL_NAMES.get(proto) ?? String(proto)}:${port}`;
}

function address(nestedAttr: Buffer, setName: string): string {
  for (const [type, v] of iterateAttributes(nestedAttr)) {
    if (type === IpAddr.V4 && v.length >= 4) return ipFromBytes(v, 4);
    if (type === IpAddr.V6 && v.length >= 16) return ipFromBytes(v, 6);
  }
  throw new KernelError('EPROTO', 'list ipsets', setName, 'an address attribute without IPv4 or IPv6 inside');
}
