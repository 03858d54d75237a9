// Options that shape the desired state, shared by `plan` and `run`, and the ModelConfig they give.
import { hostname } from 'node:os';
import ipaddr from 'ipaddr.js';
import { canonicalIp, type IpFamily } from '../net/address.js';
import { DETECT_LOCAL_MODES, type DetectLocal, type ModelConfig } from '../model/config.js';
import { UsageError } from './args.js';
import { checkNodePortSelector } from '../model/node.js';
import { SCHEDULER_OPTION, option, type SettingsOf } from './options.js';

const cidrList = (v: readonly string[]) => {
  for (const c of v) if (!ipaddr.isValidCIDR(c)) throw new Error(`"${c}" is not a CIDR`);
};

export const NODE_NAME_OPTION = option({
  key: 'nodeName', flag: 'node-name', aliases: ['hostname-override'], doc: "this node's name (endpoints with this nodeName are local)",
  type: 'string', default: '', env: 'NODE_NAME', meta: 'NAME',
});

export const OBJECTS_OPTION = option({ key: 'objects', flag: 'objects', doc: 'YAML or JSON file of Services and EndpointSlices (kubectl get -o yaml) instead of the API server', type: 'string', default: '', meta: 'FILE' });

export const NODE_IP_OPTION = option({
  key: 'nodeIp', flag: 'node-ip', doc: "this node's primary addresses (repeatable)", type: 'list', default: [], meta: 'IP',
  check: (v) => { for (const a of v) if (!canonicalIp(a)) throw new Error(`"${a}" is not an IP address`); },
});

export const IP_FAMILIES_OPTION = option({
  key: 'ipFamilies', flag: 'ip-families', doc: 'IP families to program', type: 'list', default: ['4', '6'], meta: '4,6',
  check: (v) => { if (v.some((f) => f !== '4' && f !== '6') || v.length === 0) throw new Error('expected 4, 6 or 4,6'); },
});

export const EXCLUDE_CIDRS_OPTION = option({
  key: 'excludeCidrs', flag: 'exclude-cidrs', aliases: ['ipvs-exclude-cidrs'], doc: 'virtual servers on these addresses are never changed or deleted',
  type: 'list', default: [], check: cidrList, meta: 'CIDR',
});

export const MODEL_OPTIONS = [
  SCHEDULER_OPTION,
  NODE_NAME_OPTION,
  option({ key: 'clusterCidr', flag: 'cluster-cidr', doc: 'pod CIDRs (comma-separated or repeated): ClusterIP traffic from outside them is masqueraded', type: 'list', default: [], check: cidrList, meta: 'CIDR' }),
  option({ key: 'masqueradeAll', flag: 'masquerade-all', doc: 'masquerade every connection to a ClusterIP', type: 'boolean', default: false }),
  option({
    key: 'detectLocalMode', flag: 'detect-local-mode', doc: "how pod traffic is told from other traffic to a ClusterIP (which is masqueraded): --cluster-cidr, the Node's podCIDRs, or the pods' interfaces",
    type: 'string', default: 'ClusterCIDR', choices: DETECT_LOCAL_MODES, meta: 'MODE',
  }),
  option({ key: 'podBridgeInterface', flag: 'pod-bridge-interface', doc: 'with --detect-local-mode BridgeInterface: the bridge the pods are on', type: 'string', default: '', meta: 'IFACE' }),
  option({ key: 'podInterfaceNamePrefix', flag: 'pod-interface-name-prefix', doc: "with --detect-local-mode InterfaceNamePrefix: the start of the pods' interface names", type: 'string', default: '', meta: 'PREFIX' }),
  option({
    key: 'masqueradeBit', flag: 'masquerade-bit', aliases: ['iptables-masquerade-bit'], doc: 'bit of the packet mark that flags traffic for SNAT',
    type: 'integer', default: 14, meta: 'N', check: (v) => { if (v < 0 || v > 31) throw new Error('must be from 0 to 31'); },
  }),
  option({ key: 'nodePortAddresses', flag: 'nodeport-addresses', doc: 'CIDRs (or "primary") of the node addresses that get NodePorts; empty: all', type: 'list', default: [], meta: 'CIDR', check: (v) => v.forEach(checkNodePortSelector) }),
  IP_FAMILIES_OPTION,
  EXCLUDE_CIDRS_OPTION,
] as const;
export type ModelSettings = SettingsOf<typeof MODEL_OPTIONS>;

/** The families of --ip-families, each once, in order. */
export const familiesFrom = (s: SettingsOf<readonly [typeof IP_FAMILIES_OPTION]>): IpFamily[] =>
  [...new Set(s.ipFamilies.map((f): IpFamily => (f === '4' ? 4 : 6)))].sort();

export function modelConfigFrom(s: ModelSettings): ModelConfig {
  return {
    scheduler: s.scheduler,
    families: familiesFrom(s),
    nodePortAddresses: s.nodePortAddresses,
    masqueradeAll: s.masqueradeAll,
    clusterCidrs: s.clusterCidr,
    masqueradeBit: s.masqueradeBit,
    detectLocal: detectLocalFrom(s),
  };
}

function detectLocalFrom(s: ModelSettings): DetectLocal {
  switch (s.detectLocalMode) {
    case 'ClusterCIDR': case 'NodeCIDR': return { mode: s.detectLocalMode };
    case 'BridgeInterface':
      if (!s.podBridgeInterface) throw new UsageError('--detect-local-mode BridgeInterface needs --pod-bridge-interface');
      return { mode: 'BridgeInterface', interface: s.podBridgeInterface };
    case 'InterfaceNamePrefix':
      if (!s.podInterfaceNamePrefix) throw new UsageError('--detect-local-mode InterfaceNamePrefix needs --pod-interface-name-prefix');
      return { mode: 'InterfaceNamePrefix', prefix: s.podInterfaceNamePrefix };
  }
}

export const nodeNameFrom = (s: SettingsOf<readonly [typeof NODE_NAME_OPTION]>): string => s.nodeName || hostname();
