// Reading what `explain` needs from the live kernel: the virtual servers, the KUBE-* sets, the
// nat and filter rules of the destination's family, the host's addresses, the kernel's routes
// (the source a node packet takes, the interface a client's packets arrive by, the address a
// masqueraded packet leaves with) and the conntrack entries of the flow.
import { existsSync, readFileSync } from 'node:fs';
import { ipFamily } from '../net/address.js';
import { vsKey } from '../kernel/ipvs/types.js';
import type { Routes } from '../kernel/links/routes.js';
import type { Kernel } from '../sync/kernel.js';
import { observe } from '../sync/observe.js';
import { parseSavedTable } from './rules.js';
import { destinationKey, type Destination, type KernelView, type PacketSource } from './explain.js';

/** How the user named the source: an address, or "node" (a socket of this host). */
export type SourceSpec = { readonly kind: 'node' } | { readonly kind: 'address'; readonly address: string; readonly label: string };

export async function readKernelView(kernel: Kernel, routes: Routes, dest: Destination, sourceSpec: SourceSpec): Promise<{ view: KernelView; source: PacketSource }> {
  const family = ipFamily(dest.address);
  const [observed, local] = await Promise.all([observe(kernel, [family]), kernel.links.listLocalAddresses()]);
  const saved = (table: string) => observed.iptables.find((t) => t.table === table)?.saved ?? '';
  const key = destinationKey(dest);
  const target = observed.virtualServers.find((v) => vsKey(v.vs) === key);
  const realServers = target ? [...target.realServers].map((r) => r.address) : [];
  const [routeList, source, flows] = await Promise.all([
    Promise.all(realServers.map(async (a) => [a, await routes.get(a)] as const)),
    packetSource(routes, dest, sourceSpec),
    kernel.conntrack?.listFlows({ protocol: dest.protocol, vip: dest.address, vport: dest.port }).catch(() => []) ?? [],
  ]);
  const client = sourceSpec.kind === 'address' ? sourceSpec.address : source.address;
  return {
    source,
    view: {
      virtualServers: observed.virtualServers,
      sets: observed.sets,
      nat: parseSavedTable(saved('nat')),
      filter: parseSavedTable(saved('filter')),
      localAddresses: new Set(local.map((a) => a.address)),
      ipvs0Addresses: observed.link.exists ? new Set(observed.link.addresses) : undefined,
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
