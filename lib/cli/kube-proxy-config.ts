// A kube-proxy configuration file (KubeProxyConfiguration, kubeproxy.config.k8s.io/v1alpha1) read
// as ipvs-proxy settings, so a node's existing kube-proxy ConfigMap can be reused as is. Fields
// that apply are mapped (old and new locations alike); fields that do not apply are warnings;
// invalid values are errors naming the field path.
import { isRecord } from '../sources/raw.js';

export const KUBE_PROXY_KIND = 'KubeProxyConfiguration';
const API_VERSION = 'kubeproxy.config.k8s.io/v1alpha1';

export interface Translation {
  /** settings by ipvs-proxy key, raw (flag-like) values */
  readonly values: Record<string, unknown>;
  readonly warnings: string[];
}

/** Field path -> setting key (or a transform). Listed in kube-proxy's own field order. */
const MAPPED: ReadonlyArray<readonly [path: string, key: string, convert?: (v: unknown, path: string) => unknown]> = [
  ['hostnameOverride', 'nodeName'],
  ['clientConnection.kubeconfig', 'kubeconfig'],
  ['clusterCIDR', 'clusterCidr', (v) => String(v).split(',').map((s) => s.trim()).filter(Boolean)],
  ['detectLocalMode', 'detectLocalMode'],
  ['detectLocal.bridgeInterface', 'podBridgeInterface'],
  ['detectLocal.interfaceNamePrefix', 'podInterfaceNamePrefix'],
  ['healthzBindAddress', 'healthzBindAddress'],
  ['metricsBindAddress', 'metricsBindAddress'],
  ['nodePortAddresses', 'nodePortAddresses'],
  ['iptables.masqueradeAll', 'masqueradeAll'],
  ['linux.masqueradeAll', 'masqueradeAll'],
  ['iptables.masqueradeBit', 'masqueradeBit'],
  ['syncPeriod', 'syncPeriod'],
  ['minSyncPeriod', 'minSyncPeriod'],
  ['ipvs.syncPeriod', 'syncPeriod'],
  ['ipvs.minSyncPeriod', 'minSyncPeriod'],
  ['ipvs.scheduler', 'scheduler'],
  ['ipvs.excludeCIDRs', 'excludeCidrs'],
  ['ipvs.strictARP', 'strictArp'],
  ['ipvs.tcpTimeout', 'ipvsTcpTimeout'],
  ['ipvs.tcpFinTimeout', 'ipvsTcpFinTimeout'],
  ['ipvs.udpTimeout', 'ipvsUdpTimeout'],
  ['conntrack.maxPerCore', 'conntrackMaxPerCore'],
  ['conntrack.min', 'conntrackMin'],
  ['conntrack.tcpEstablishedTimeout', 'conntrackTcpEstablishedTimeout'],
  ['conntrack.tcpCloseWaitTimeout', 'conntrackTcpCloseWaitTimeout'],
  ['linux.conntrack.maxPerCore', 'conntrackMaxPerCore'],
  ['linux.conntrack.min', 'conntrackMin'],
  ['linux.conntrack.tcpEstablishedTimeout', 'conntrackTcpEstablishedTimeout'],
  ['linux.conntrack.tcpCloseWaitTimeout', 'conntrackTcpCloseWaitTimeout'],
];

/** Fields that mean nothing for an IPVS proxy, or are kube-proxy internals: accepted silently. */
const IGNORED = new Set(['apiVersion', 'kind', 'bindAddress', 'bindAddressHardFail', 'clientConnection', 'clientConnection.acceptContentTypes',
  'clientConnection.contentType', 'clientConnection.qps', 'clientConnection.burst', 'configSyncPeriod', 'enableProfiling', 'featureGates',
  'logging', 'oomScoreAdj', 'portRange', 'showHiddenMetricsForVersion', 'udpIdleTimeout', 'winkernel', 'nftables', 'iptables', 'ipvs', 'conntrack',
  'linux', 'detectLocal', 'iptables.syncPeriod', 'iptables.minSyncPeriod',
  'iptables.localhostNodePorts', 'conntrack.udpTimeout', 'conntrack.udpStreamTimeout', 'conntrack.tcpBeLiberal',
  'linux.conntrack', 'linux.conntrack.udpTimeout', 'linux.conntrack.udpStreamTimeout', 'linux.conntrack.tcpBeLiberal', 'linux.oomScoreAdj']);

/** Durations whose zero kube-proxy replaces with its default (SetDefaults_KubeProxyConfiguration). */
const ZERO_IS_DEFAULT = new Set(['syncPeriod', 'minSyncPeriod', 'ipvs.syncPeriod', 'ipvs.minSyncPeriod']);

export function isKubeProxyConfiguration(doc: unknown): boolean {
  return isRecord(doc) && doc.kind === KUBE_PROXY_KIND;
}

export function translateKubeProxyConfig(doc: Record<string, unknown>): Translation {
  if (doc.apiVersion !== API_VERSION) throw new Error(`apiVersion: expected ${API_VERSION}, got ${JSON.stringify(doc.apiVersion)}`);
  const values: Record<string, unknown> = {};
  const warnings: string[] = [];
  const mode = doc.mode;
  if (mode !== undefined && mode !== '' && mode !== 'ipvs') warnings.push(`mode: "${String(mode)}" does not apply: ipvs-proxy always programs IPVS`);
  const mapped = new Set<string>();
  for (const [path, key, convert] of MAPPED) {
    const v = at(doc, path);
    mapped.add(path);
    // kube-proxy writes zero values ("", null) for "use the default"; kubeadm writes "0s" for
    // the sync periods, which kube-proxy's defaulting turns into its defaults too.
    if (v === undefined || v === null || v === '') continue;
    if (ZERO_IS_DEFAULT.has(path) && /^0+(\.0+)?[a-z]*$/.test(String(v))) continue;
    values[key] = convert ? convert(v, path) : v;
    values[`${key}@`] = path; // where it came from, for error messages
  }
  for (const path of leaves(doc)) {
    if (mapped.has(path) || IGNORED.has(path) || path === 'mode') continue;
    warnings.push(`${path}: not used by ipvs-proxy`);
  }
  return { values, warnings };
}

function at(doc: Record<string, unknown>, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) cur = isRecord(cur) ? cur[part] : undefined;
  return cur;
}

/** Every set field as a dotted path (records are walked; lists and scalars are leaves). */
function leaves(doc: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(doc)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (isRecord(v) && Object.keys(v).length > 0 && !['featureGates', 'logging', 'winkernel', 'nftables'].includes(path)) out.push(...leaves(v, path));
    else if (v !== null && v !== undefined && !(isRecord(v) && Object.keys(v).length === 0)) out.push(path);
  }
  return out;
}
