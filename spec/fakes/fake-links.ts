// In-memory links and addresses with the kernel's errors (EEXIST, ENODEV, EADDRNOTAVAIL).
import { KernelError } from '../../lib/kernel/errors.js';
import { canonicalIp, ipFamily } from '../../lib/net/address.js';
import { KUBE_IPVS0, type LocalAddress, type Links } from '../../lib/kernel/links/types.js';

interface FakeLink { kind: string; addresses: Map<string, number> }

export class FakeLinks implements Links {
  private readonly links = new Map<string, FakeLink>();

  /** Starts with lo (127.0.0.1/8, ::1/128); add the node's own links with addLink. */
  constructor() {
    this.addLink('lo', 'loopback', ['127.0.0.1/8', '::1/128']);
  }

  /** Test hook: a link of any kind with addresses given as "ip/prefix". */
  addLink(name: string, kind: string, cidrs: readonly string[] = []): void {
    this.links.set(name, { kind, addresses: new Map(cidrs.map((c) => { const [ip, p] = c.split('/'); return [canonicalIp(ip!)!, Number(p)]; })) });
  }

  async ensureDummyLink(name: string): Promise<{ created: boolean }> {
    const l = this.links.get(name);
    if (!l) { this.links.set(name, { kind: 'dummy', addresses: new Map() }); return { created: true }; }
    if (l.kind !== 'dummy') throw new KernelError('EEXIST', 'create dummy link', name, `a link of kind "${l.kind}" has that name`);
    return { created: false };
  }

  async deleteLink(name: string): Promise<void> {
    if (!this.links.delete(name)) throw new KernelError('ENODEV', 'delete link', name);
  }

  async listAddresses(link: string): Promise<string[]> {
    return [...this.link(link).addresses.keys()];
  }

  async addAddress(link: string, address: string): Promise<void> {
    const l = this.link(link);
    const a = canonicalIp(address)!;
    if (l.addresses.has(a)) throw new KernelError('EEXIST', 'add address', `${address} to ${link}`);
    l.addresses.set(a, ipFamily(a) === 4 ? 32 : 128);
  }

  async deleteAddress(link: string, address: string): Promise<void> {
    if (!this.link(link).addresses.delete(canonicalIp(address)!)) throw new KernelError('EADDRNOTAVAIL', 'delete address', `${address} from ${link}`);
  }

  async listLocalAddresses(): Promise<LocalAddress[]> {
    return this.addressesOf([...this.links.keys()]);
  }

  // kube-ipvs0 is skipped, not listed and filtered: the real adapter keeps the node's addresses
  // without reading the thousands of bound ones on every sync, and so must the fake.
  async nodeAddresses(): Promise<LocalAddress[]> {
    return this.addressesOf([...this.links.keys()].filter((name) => name !== KUBE_IPVS0));
  }

  close(): void {}

  private addressesOf(names: readonly string[]): LocalAddress[] {
    return names.flatMap((name) => [...this.links.get(name)!.addresses].map(([address, prefixLength]) => ({ address, family: ipFamily(address), prefixLength, link: name })));
  }

  private link(name: string): FakeLink {
    const l = this.links.get(name);
    if (!l) throw new KernelError('ENODEV', 'get link', name);
    return l;
  }
}
