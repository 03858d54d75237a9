// This node's Node object as the proxy uses it: labels (the topology zone), InternalIP addresses,
// pod CIDRs (for --detect-local-mode NodeCIDR), and whether it is being deleted (KEP-3836).
// Read leniently: a field of the wrong type counts as absent, as the object is only a hint.
import { isRecord } from './raw.js';
import type { NodeInfo } from './source.js';

/** the cluster autoscaler's taint on a node it is about to delete */
export const TO_BE_DELETED_TAINT = 'ToBeDeletedByClusterAutoscaler';

export function readNode(obj: unknown): NodeInfo {
  const o = isRecord(obj) ? obj : {};
  const meta = isRecord(o.metadata) ? o.metadata : {};
  const spec = isRecord(o.spec) ? o.spec : {};
  const status = isRecord(o.status) ? o.status : {};
  const records = (v: unknown) => (Array.isArray(v) ? v.filter(isRecord) : []);
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const labels = isRecord(meta.labels) ? Object.fromEntries(Object.entries(meta.labels).filter((e): e is [string, string] => typeof e[1] === 'string')) : {};
  const podCidrs = strings(spec.podCIDRs);
  return {
    labels,
    primaryAddresses: records(status.addresses).filter((a) => a.type === 'InternalIP' && typeof a.address === 'string').map((a) => a.address as string),
    podCidrs: podCidrs.length > 0 ? podCidrs : typeof spec.podCIDR === 'string' && spec.podCIDR ? [spec.podCIDR] : [],
    eligible: !meta.deletionTimestamp && !records(spec.taints).some((t) => t.key === TO_BE_DELETED_TAINT),
  };
}

/** The Node named `name` among objects (an objects file's), read; undefined when there is none. */
export function findNode(nodes: readonly unknown[], name: string): NodeInfo | undefined {
  const node = nodes.find((n) => isRecord(n) && isRecord(n.metadata) && n.metadata.name === name);
  return node === undefined ? undefined : readNode(node);
}
