// Options that shape the desired state, shared by `plan` and `run`, and the ModelConfig they give.
import { hostname } from 'node:os';
import ipaddr from 'ipaddr.js';
import { canonicalIp, type IpFamily } from '../net/address.js';
import { PROXY_NAME, type ModelConfig } from '../model/build.js';
import { checkNodePortSelector } from '../model/node.js';
import { SCHEDULER_OPTION, type OptionSpec } from './options.js';
import type { Settings } from './settings.js';

const cidrList = (v: unknown) => {
  for (const c of v as string[]) if (!ipaddr.isValidCIDR(c)) throw new Error(`"${c}" is not a CIDR`);
};

export const NODE_NAME_OPTION: OptionSpec = {
  key: 'nodeName', flag: 'node-name', aliases: ['hostname-override'], doc: "this node's name (endpoints with this nodeName are local)",
  type: 'string', default: '', env: 'NODE_NAME', meta: 'NAME',
};

export const OBJECTS_OPTION: OptionSpec = { key: 'objects', flag: 'objects', doc: 'YAML or JSON file of Services and EndpointSlices (kubectl get -o yaml) instead of the API server', type: 'string', default: '', meta: 'FILE' };

export const NODE_IP_OPTION: OptionSpec = {
  key: 'nodeIp', flag: 'node-ip', doc: "this node's primary addresses (repeatable)", type: 'list', default: [], meta: 'IP',
  check: (v) => { for (const a of v as string[]) if (!canonicalIp(a)) throw new Error(`"${a}" is not an IP address`); },
};

export const MODEL_OPTIONS: readonly OptionSpec[] = [
  SCHEDULER_OPTION,
  NODE_NAME_OPTION,
  { key: 'clusterCidr', flag: 'cluster-cidr', doc: 'pod CIDRs (comma-separated or repeated): ClusterIP traffic from outside them is masqueraded', type: 'list', default: [], check: cidrList, meta: 'CIDR' },
  { key: 'masqueradeAll', flag: 'masquerade-all', doc: 'masquerade every connection to a ClusterIP', type: 'boolean', default: false },
  {
    key: 'masqueradeBit', flag: 'masquerade-bit', aliases: ['iptables-masquerade-bit'], doc: 'bit of the packet mark that flags traffic for SNAT',
    type: 'integer', default: 14, meta: 'N', check: (v) => { if ((v as number) < 0 || (v as number) > 31) throw new Error('must be from 0 to 31'); },
  },
  { key: 'nodePortAddresses', flag: 'nodeport-addresses', doc: 'CIDRs (or "primary") of the node addresses that get NodePorts; empty: all', type: 'list', default: [], meta: 'CIDR', check: (v) => (v as string[]).forEach(checkNodePortSelector) },
  { key: 'ipFamilies', flag: 'ip-families', doc: 'IP families to program', type: 'list', default: ['4', '6'], meta: '4,6', check: (v) => { if ((v as string[]).some((f) => f !== '4' && f !== '6') || (v as string[]).length === 0) throw new Error('expected 4, 6 or 4,6'); } },
  { key: 'excludeCidrs', flag: 'exclude-cidrs', aliases: ['ipvs-exclude-cidrs'], doc: 'virtual servers on these addresses are never changed or deleted', type: 'list', default: [], check: cidrList, meta: 'CIDR' },
];

export function modelConfigFrom(s: Settings): ModelConfig {
  return {
    scheduler: s.scheduler as string,
    proxyName: PROXY_NAME,
    families: [...new Set((s.ipFamilies as string[]).map((f) => Number(f) as IpFamily))].sort(),
    nodePortAddresses: s.nodePortAddresses as string[],
    masqueradeAll: s.masqueradeAll as boolean,
    clusterCidrs: s.clusterCidr as string[],
    masqueradeBit: s.masqueradeBit as number,
  };
}

export const nodeNameFrom = (s: Settings): string => (s.nodeName as string) || hostname();
