// Reading what `explain` needs from the live kernel: the destination's virtual server and its real
// servers, the KUBE-* sets, the nat and filter rules of the destination's family, the kernel's
// routes (which addresses are local, the source a node packet takes, the interface a client's
// packets arrive by, the address a masqueraded packet leaves with) and the conntrack entries of
// the flow. Nothing scales with the number of Services but the sets and rules.
import { existsSync, readFileSync } from 'node:fs';
import { ipFamily } from '../net/address.js';
import type { Routes } from '../kernel/links/routes.js';
import type { Kernel } from '../sync/kernel.js';
import { observe } from '../sync/observe.js';
import { parseSavedTable } from './rules.js';
import { type Destination, type KernelView, type PacketSource } from './explain.js';

/** How the user named the source: an address, or "node" (a socket of this host). */
export type SourceSpec = { readonly kind: 'node' } | { readonly kind: 'address'; readonly address: string; readonly label: string };

export async function readKernelView(kernel: Kernel, routes: Routes, dest: Destination, sourceSpec: SourceSpec): Promise<{ view: KernelView; source: PacketSource }> {
  const family = ipFamily(dest.address);
  // only the destination's virtual server is read (by its key), not the whole table
  const target = await kernel.ipvs.getVirtualServer({ ...dest, family });
  const [observed, source, flows] = await Promise.all([
    observe(kernel, [family], { onlyVirtualServers: target ? [target.vs] : [], knownAddresses: [] }),
    packetSource(routes, dest, sourceSpec),
    kernel.conntrack?.listFlows({ protocol: dest.protocol, vip: dest.address, vport: dest.port }).catch(() => []) ?? [],
  ]);
  const saved = (table: string) => observed.iptables.find((t) => t.table === table)?.saved ?? '';
  const realServers = observed.virtualServers.flatMap((v) => [...v.realServers].map((r) => r.address));
  // the kernel's own answer for each address the packet uses: its route (local or not), and for a backend the source a masqueraded packet takes
  const addresses = [...new Set([dest.address, source.address, ...realServers])];
  const routeList = await Promise.all(addresses.map(async (a) => [a, await routes.get(a)] as const));
  const client = sourceSpec.kind === 'address' ? sourceSpec.address : source.address;
  return {
    source,
    view: {
      virtualServers: observed.virtualServers,
      sets: observed.sets,
      nat: parseSavedTable(saved('nat')),
      filter: parseSavedTable(saved('filter')),
      localAddresses: new Set(routeList.flatMap(([a, r]) => (r?.type === 'local' ? [a] : []))),
      routes: new Map(routeList),
      // this client's flows first: they are the ones asked about
      flows: [...flows].sort((a, b) => Number(b.original.source === client) - Number(a.original.source === client)),
    },
  };
}

async function packetSource(routes: Routes, dest: Destination, spec: SourceSpec): Promise<PacketSource> {
  if (spec.kind === 'node') {
    // a socket of this host that does not bind takes the source address the kernel picks
    const route = await routes.get(dest.address);
    return { origin: 'node', address: route?.source ?? dest.address, inInterface: undefined, bridged: false, label: 'this node' };
  }
  const back = await routes.get(spec.address);
  if (back?.type === 'local') return { origin: 'node', address: spec.address, inInterface: undefined, bridged: false, label: `${spec.label} (an address of this node)` };
  const inInterface = back?.device;
  return { origin: 'remote', address: spec.address, inInterface, bridged: inInterface !== undefined && bridgeNetfilter(inInterface), label: spec.label };
}

/** Whether packets arriving on this interface pass iptables as bridged ones (a bridge with br_netfilter on). */
function bridgeNetfilter(iface: string): boolean {
  const on = '/proc/sys/net/bridge/bridge-nf-call-iptables';
  return existsSync(`/sys/class/net/${iface}/bridge`) && existsSync(on) && readFileSync(on, 'utf8').trim() === '1';
}
