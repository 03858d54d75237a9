// `ipvs-proxy plan`: the kernel state a set of Services and EndpointSlices gives on this node, in
// the text of the kernel's own tools, so it can be diffed against `ipvsadm -Sn`, `ipset save`
// and `iptables-save`. Pure: reads the file, touches nothing.
import { command } from '../command.js';
import { canonicalIp, ipFamily } from '../../net/address.js';
import { buildDesiredState } from '../../model/build.js';
import { readSnapshot } from '../../sources/read-objects.js';
import { findNode } from '../../sources/read-node.js';
import type { DesiredState, Problem } from '../../model/desired-state.js';
import type { NodeFacts } from '../../model/node.js';
import { formatIpvsadmSave, formatRealServer, formatVirtualServer } from '../../kernel/ipvs/ipvsadm-format.js';
import { formatIpsetSave } from '../../kernel/ipset/save-format.js';
import { restoreText } from '../../kernel/iptables/save-text.js';
import { skeletonWrite } from '../../plan/table-writes.js';
import type { LocalAddress } from '../../kernel/links/types.js';
import { RtnetlinkLinks } from '../../kernel/links/rtnetlink-links.js';
import { ObjectsFileError, readObjectsFile } from '../../sources/objects-file.js';
import { MODEL_OPTIONS, NODE_IP_OPTION, OBJECTS_OPTION, modelConfigFrom, nodeNameFrom, type ModelSettings } from '../options-model.js';
import { option, type SettingsOf } from '../options.js';

export const FORMATS = ['ipvsadm', 'ipset', 'iptables', 'ip6tables', 'json'] as const;

const PLAN_NODE_IP_OPTION = option({ ...NODE_IP_OPTION, doc: "this node's addresses (repeatable); default: every address of this host" });
const PLAN_OPTIONS = [
  OBJECTS_OPTION,
  PLAN_NODE_IP_OPTION,
  option({ key: 'format', flag: 'format', doc: 'what to print', type: 'string', default: 'ipvsadm', choices: FORMATS, meta: 'FORMAT' }),
  ...MODEL_OPTIONS,
] as const;

export const planCommand = command({
  name: 'plan',
  summary: 'print the IPVS, ipset or iptables state the given objects would give on this node (a dry run)',
  options: PLAN_OPTIONS,
  run: async ({ settings, stdout, stderr }) => {
    const file = settings.objects;
    if (!file) { stderr.write('ipvs-proxy plan: --objects FILE is required\n'); return 2; }
    let objects;
    try {
      objects = await readObjectsFile(file);
    } catch (e) {
      if (!(e instanceof ObjectsFileError)) throw e;
      stderr.write(`ipvs-proxy plan: ${e.message}\n`);
      return 1;
    }
    for (const i of objects.ignored) stderr.write(`ignored ${i}: not a Service or EndpointSlice\n`);
    const desired = buildDesiredState(readSnapshot(objects), await planNode(settings, objects.nodes), modelConfigFrom(settings));
    for (const p of desired.problems) stderr.write(`${problemLine(p)}\n`);
    stdout.write(render(desired, settings.format));
    return 0;
  },
});

export function problemLine(p: Problem): string {
  return `${p.skipped ? 'skipped' : 'warning'} ${p.kind} ${p.namespace}/${p.name}: ${p.reason}`;
}

/**
 * The node: --node-ip if given, else every address of the host, read as the running proxy reads
 * them; labels and pod CIDRs from its Node object when the file holds it.
 */
async function planNode(s: ModelSettings & SettingsOf<readonly [typeof PLAN_NODE_IP_OPTION]>, nodes: readonly unknown[]): Promise<NodeFacts> {
  const given = s.nodeIp.map((a) => canonicalIp(a)!);
  let addresses: LocalAddress[];
  if (given.length > 0) {
    addresses = given.map((address) => ({ address, family: ipFamily(address), prefixLength: ipFamily(address) === 4 ? 32 : 128, link: 'node' }));
  } else {
    const links = new RtnetlinkLinks();
    try { addresses = await links.listLocalAddresses(); } finally { links.close(); }
  }
  const name = nodeNameFrom(s);
  const info = findNode(nodes, name);
  return { name, labels: info?.labels ?? {}, addresses, primaryAddresses: given.length > 0 ? given : info?.primaryAddresses ?? [], podCidrs: info?.podCidrs ?? [] };
}

function render(d: DesiredState, format: (typeof FORMATS)[number]): string {
  switch (format) {
    case 'ipvsadm': return formatIpvsadmSave(d.virtualServers);
    case 'ipset': return formatIpsetSave(d.sets);
    case 'iptables':
    case 'ip6tables': {
      const fam = d.iptables.find((f) => f.family === (format === 'iptables' ? 4 : 6));
      return fam ? fam.tables.map((t) => restoreText(skeletonWrite(t, ''))).join('') : '';
    }
    case 'json': return `${JSON.stringify(toJson(d), null, 2)}\n`;
  }
}

function toJson(d: DesiredState): unknown {
  return {
    services: d.services,
    virtualServers: d.virtualServers.map((v) => ({
      service: v.service, port: v.portName, role: v.role, ipvsadm: formatVirtualServer(v.vs), virtualServer: v.vs,
      realServers: v.realServers.map((r) => ({ ...r, ipvsadm: formatRealServer(v.vs, r) })),
    })),
    boundAddresses: d.boundAddresses,
    sets: d.sets.map((s) => ({ name: s.name, type: s.type, family: s.family, members: [...s.members].sort() })),
    iptables: d.iptables.map((f) => ({ family: f.family, tables: f.tables.map((t) => ({ table: t.table, chains: t.chains, rules: t.rules })) })),
    healthChecks: d.healthChecks,
    problems: d.problems,
  };
}
