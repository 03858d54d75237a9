// Links and addresses over rtnetlink (NETLINK_ROUTE), messages encoded by hand.
import { NetlinkChannel, type ChannelOptions } from '../netlink/channel.js';
import { attr, iterateAttributes, nested, parseAttributes, readString, str } from '../netlink/attributes.js';
import { KernelError, isKernelError } from '../errors.js';
import { AF_INET, AF_INET6, afOf, familyOfAf, ipFamily, ipFromBytes, ipToBytes } from '../../net/address.js';
import { KUBE_IPVS0, type LocalAddress, type Links } from './types.js';
import { AddressMonitor } from './address-monitor.js';
import { NETLINK_ROUTE, RTM } from './rtnetlink.js';
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const IFLA_IFNAME = 3;
const IFLA_LINKINFO = 18;
const IFLA_INFO_KIND = 1;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_F_NODAD = 0x02;

function ifinfomsg(index = 0): Buffer {
  const b = Buffer.alloc(16); // family, pad, type, index, flags, change
  b.writeInt32LE(index, 4);
  return b;
}

function ifaddrmsg(family: number, prefixLength: number, flags: number, index: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(family, 0);
  b.writeUInt8(prefixLength, 1);
  b.writeUInt8(flags, 2);
  b.writeUInt8(0, 3); // RT_SCOPE_UNIVERSE
  b.writeUInt32LE(index, 4);
  return b;
}

interface LinkInfo { index: number; name: string; kind: string }

export class RtnetlinkLinks implements Links {
  private readonly channel: NetlinkChannel;
  // Link indexes by name, so binding many addresses costs no lookup each; a link deleted and
  // recreated behind our back gets a new index, seen as ENODEV and looked up again once.
  private readonly indexes = new Map<string, number>();

  private readonly monitor = new AddressMonitor(() => this.indexes.get(KUBE_IPVS0));
  /** the node's addresses as last read, and the monitor's generation then */
  private node: { addresses: LocalAddress[]; generation: number } | undefined;
  /** full address reads made (for tests) */
  addressReads = 0;

  constructor(opts: ChannelOptions = {}) {
    this.channel = new NetlinkChannel(NETLINK_ROUTE, opts);
  }

  close(): void { this.channel.close(); this.monitor.close(); }

  async ensureDummyLink(name: string): Promise<{ created: boolean }> {
    try {
      await this.channel.request(RTM.NEWLINK, [ifinfomsg(), str(IFLA_IFNAME, name), nested(IFLA_LINKINFO, [str(IFLA_INFO_KIND, 'dummy')])],
        { operation: 'create dummy link', object: name }, NLM_F_CREATE | NLM_F_EXCL);
      return { created: true };
    } catch (e) {
      if (!isKernelError(e, 'EEXIST')) throw e;
    }
    const link = await this.link(name);
    if (link.kind !== 'dummy') {
      throw new KernelError('EEXIST', 'create dummy link', name, `a link of kind "${link.kind || 'none'}" has that name`);
    }
    return { created: false };
  }

  async deleteLink(name: string): Promise<void> {
    this.indexes.delete(name);
    await this.channel.request(RTM.DELLINK, [ifinfomsg(), str(IFLA_IFNAME, name)], { operation: 'delete link', object: name });
  }

  async listAddresses(link: string): Promise<string[]> {
    const { index } = await this.link(link);
    const all = await Promise.all([AF_INET, AF_INET6].map((af) => this.addresses(af)));
    return all.flat().filter((a) => a.index === index).map((a) => a.address);
  }

  addAddress(link: string, address: string): Promise<void> {
    return this.onLink(link, (index) => this.channel.request(RTM.NEWADDR, addressPayload(address, index),
      { operation: 'add address', object: `${address} to ${link}` }, NLM_F_CREATE | NLM_F_EXCL));
  }

  deleteAddress(link: string, address: string): Promise<void> {
    return this.onLink(link, (index) => this.channel.request(RTM.DELADDR, addressPayload(address, index),
      { operation: 'delete address', object: `${address} from ${link}` }));
  }

  private async onLink(name: string, op: (index: number) => Promise<void>): Promise<void> {
    const cached = this.indexes.get(name);
    if (cached !== undefined) {
      try {
        return await op(cached);
      } catch (e) {
        if (!isKernelError(e, 'ENODEV')) throw e;
        this.indexes.delete(name);
      }
    }
    return op((await this.link(name)).index);
  }

  async listLocalAddresses(): Promise<LocalAddress[]> {
    this.addressReads++;
    const all = await this.links();
    const links = new Map(all.map((l) => [l.index, l.name]));
    const own = all.find((l) => l.name === KUBE_IPVS0);
    if (own) this.indexes.set(KUBE_IPVS0, own.index);
    const out: LocalAddress[] = [];
    for (const af of [AF_INET, AF_INET6]) {
      for (const a of await this.addresses(af)) {
        out.push({ address: a.address, family: a.family, prefixLength: a.prefixLength, link: links.get(a.index) ?? `if${a.index}` });
      }
    }
    return out;
  }

  async nodeAddresses(): Promise<LocalAddress[]> {
    const watching = this.monitor.start();
    if (watching && this.node && this.node.generation === this.monitor.generation) return this.node.addresses;
    const generation = this.monitor.generation;
    const addresses = (await this.listLocalAddresses()).filter((a) => a.link !== KUBE_IPVS0);
    // a change seen during the read bumps the generation: the next call reads again
    if (watching) this.node = { addresses, generation };
    return addresses;
  }

  private async link(name: string): Promise<LinkInfo> {
    const msgs = await this.channel.query(RTM.GETLINK, [ifinfomsg(), str(IFLA_IFNAME, name)], { operation: 'get link', object: name });
    const info = msgs[0] && parseLink(msgs[0].data);
    if (!info) throw new KernelError('ENODEV', 'get link', name);
    this.indexes.set(name, info.index);
    return info;
  }

  private async links(): Promise<LinkInfo[]> {
    const msgs = await this.channel.dump(RTM.GETLINK, [ifinfomsg()], { operation: 'list links', object: 'all' });
    return msgs.map((m) => parseLink(m.data)).filter((l): l is LinkInfo => l !== undefined);
  }

  private async addresses(af: number) {
    const msgs = await this.channel.dump(RTM.GETADDR, [ifaddrmsg(af, 0, 0, 0)], { operation: 'list addresses', object: af === AF_INET ? 'IPv4' : 'IPv6' });
    const out: Array<{ address: string; family: 4 | 6; prefixLength: number; index: number }> = [];
    for (const m of msgs) {
      const family = familyOfAf(m.data.readUInt8(0));
      if (!family) continue;
      const attrs = parseAttributes(m.data.subarray(8));
      // IFA_LOCAL is the address itself on point-to-point links; IFA_ADDRESS otherwise.
      const raw = attrs.get(IFA_LOCAL) ?? attrs.get(IFA_ADDRESS);
      if (!raw) continue;
      out.push({ address: ipFromBytes(raw, family), family, prefixLength: m.data.readUInt8(1), index: m.data.readUInt32LE(4) });
    }
    return out;
  }
}

function addressPayload(address: string, index: number): Buffer[] {
  const family = ipFamily(address);
  const bytes = ipToBytes(address);
  return [
    ifaddrmsg(afOf(family), family === 4 ? 32 : 128, family === 6 ? IFA_F_NODAD : 0, index),
    attr(IFA_LOCAL, bytes),
    attr(IFA_ADDRESS, bytes),
  ];
}

function parseLink(data: Buffer): LinkInfo | undefined {
  const attrs = parseAttributes(data.subarray(16));
  const name = attrs.get(IFLA_IFNAME);
  if (!name) return undefined;
  let kind = '';
  const info = attrs.get(IFLA_LINKINFO);
  if (info) for (const [t, v] of iterateAttributes(info)) if (t === IFLA_INFO_KIND) kind = readString(v);
  return { index: data.readInt32LE(4), name: readString(name), kind };
}
