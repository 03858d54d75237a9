// Where a migration from kube-proxy stands and whether it can go on safely: a pure function of
// the cluster's facts. Every reason to refuse is collected, so an operator fixes them in one go.
import YAML from 'yaml';
import { isRecord } from '../sources/raw.js';
import { MIGRATION_LABEL, type ClusterFacts } from './facts.js';

export type Stage = 'not started' | 'started' | 'moving' | 'finished';

/** Reads a KubeProxyConfiguration as ipvs-proxy settings; throws on an invalid value. */
export type ConfigReader = (doc: unknown) => { readonly values: Readonly<Record<string, unknown>>; readonly warnings: readonly string[] };

export interface MigrationPlan {
  readonly stage: Stage;
  /** why it cannot go on; empty when it can */
  readonly refusals: readonly string[];
  /** kube-proxy's mode: ipvs, iptables or nftables */
  readonly mode?: string;
  /** the control-plane endpoint ipvs-proxy will use */
  readonly apiServer?: string;
  /** kube-proxy's settings as ipvs-proxy takes them over */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly onKubeProxy: readonly string[];
  readonly onIpvsProxy: readonly string[];
  /** labelled "moving": neither proxy runs there (an interrupted step); migrate nodes or rollback settles them */
  readonly between: readonly string[];
  /** what the next step does, in order */
  readonly next: readonly string[];
}

export interface AssessOptions {
  /** the control-plane endpoint, given by the operator, over kube-proxy's kubeconfig.conf */
  readonly master?: string;
  readonly readConfig: ConfigReader;
}

export function assessMigration(facts: ClusterFacts, o: AssessOptions): MigrationPlan {
  const refusals: string[] = [];
  const { kubeProxy, ipvsProxy } = facts;
  const stage: Stage = !ipvsProxy ? 'not started' : !kubeProxy ? 'finished' : facts.nodes.some((n) => n.labelled || n.moving) ? 'moving' : 'started';
  if (!kubeProxy && !ipvsProxy) refusals.push('kube-system has no kube-proxy DaemonSet: there is nothing to migrate from');

  let mode: string | undefined;
  let settings: Readonly<Record<string, unknown>> = {};
  if (kubeProxy) {
    const conf = facts.kubeProxyConfig?.configConf;
    let doc: unknown;
    if (conf === undefined) refusals.push("kube-system's kube-proxy ConfigMap has no config.conf (kubeadm's KubeProxyConfiguration): ipvs-proxy takes its settings from it");
    else {
      try { doc = YAML.parse(conf); } catch (e) { refusals.push(`config.conf is not valid YAML: ${(e as Error).message.split('\n')[0]}`); }
    }
    mode = flagValue(kubeProxy.commandLine, 'proxy-mode') ?? (isRecord(doc) && typeof doc.mode === 'string' && doc.mode !== '' ? doc.mode : conf === undefined ? undefined : 'iptables');
    if (mode && mode !== 'ipvs') refusals.push(modeRefusal(mode));
    if (isRecord(doc)) {
      try {
        const read = o.readConfig(doc);
        settings = read.values;
        const unsupported = read.warnings.filter((w) => !w.startsWith('mode:'));
        if (unsupported.length) refusals.push(`config.conf sets what ipvs-proxy does not support: ${unsupported.join('; ')}`);
      } catch (e) {
        refusals.push(`config.conf: ${(e as Error).message}`);
      }
    }
  }

  const apiServer = o.master ?? serverOf(facts.kubeProxyConfig?.kubeconfigConf);
  if (stage !== 'finished') {
    if (!apiServer) refusals.push("no control-plane endpoint: kube-proxy's ConfigMap has no kubeconfig.conf with a server; give it with --master https://HOST:PORT");
    else if (!URL.canParse(apiServer)) refusals.push(`the control-plane endpoint "${apiServer}" is not a URL (https://HOST:PORT)`);
    else if (needsServiceRouting(apiServer, facts.kubernetesServiceIPs)) {
      refusals.push(`${apiServer} is reached through the kubernetes Service, which works on a node only once a proxy has programmed it: give the control-plane endpoint itself with --master https://HOST:PORT`);
    }
  }

  const notReady = facts.nodes.filter((n) => !n.ready).map((n) => n.name);
  if (notReady.length) refusals.push(`nodes not Ready: ${notReady.join(', ')}; a node is moved only while its kubelet can run the new proxy`);
  const labelled = facts.nodes.filter((n) => n.labelled).map((n) => n.name);
  if (kubeProxy && ipvsProxy && !ipvsProxy.onlyLabelled) {
    refusals.push(`the ${ipvsProxy.name} DaemonSet runs on every node while kube-proxy does too: both program the same nodes; limit it with the nodeSelector ${MIGRATION_LABEL}=true`);
  }
  if (kubeProxy && labelled.length && !kubeProxy.avoidsLabelled) {
    refusals.push(`kube-proxy's DaemonSet does not keep off nodes labelled ${MIGRATION_LABEL}, so ${labelled.join(', ')} run both proxies`);
  }

  const between = facts.nodes.filter((n) => n.moving).map((n) => n.name);
  const unlabelled = facts.nodes.filter((n) => !n.labelled && !n.moving).map((n) => n.name);
  const onKubeProxy = kubeProxy ? unlabelled : [];
  const onIpvsProxy = !ipvsProxy ? [] : ipvsProxy.onlyLabelled ? labelled : facts.nodes.filter((n) => !n.moving).map((n) => n.name);
  return { stage, refusals, mode, apiServer, settings, onKubeProxy, onIpvsProxy, between, next: nextSteps(stage, [...between, ...onKubeProxy]) };
}

function nextSteps(stage: Stage, onKubeProxy: readonly string[]): string[] {
  switch (stage) {
    case 'not started': return [
      `migrate start: create the ipvs-proxy ServiceAccount, its ClusterRole and binding, and its DaemonSet (reading kube-proxy's ConfigMap: config.conf and the endpoint in kubeconfig.conf), limited to nodes labelled ${MIGRATION_LABEL}=true`,
      "migrate start: make kube-proxy's DaemonSet keep off labelled nodes (a required node affinity; its pods restart once); no node changes proxy yet",
    ];
    case 'started':
    case 'moving': return onKubeProxy.length
      ? [`migrate nodes: move ${onKubeProxy.join(', ')} one at a time, each gated on ipvs-proxy's health, its adoption of kube-proxy's state and every Service's virtual server; a node that fails a gate goes back to kube-proxy`]
      : ["migrate finish: delete kube-proxy's DaemonSet (kept in the ConfigMap ipvs-proxy-migration, with kube-proxy's own ConfigMap, for a rollback) and run ipvs-proxy on every node, new ones too"];
    case 'finished': return [];
  }
}

function modeRefusal(mode: string): string {
  const why = `kube-proxy runs in ${mode} mode, and ipvs-proxy adopts only IPVS mode's state (its ipsets, chains and virtual servers)`;
  if (mode === 'iptables' || mode === 'nftables') {
    return `${why}: ${mode} mode's per-Service rules would keep catching Service traffic. Move kube-proxy to IPVS mode first (mode: ipvs in config.conf, its pods restarted, ${mode === 'iptables' ? 'the KUBE-SVC-* chains' : 'the kube-proxy nftables table'} removed with kube-proxy --cleanup), then migrate`;
  }
  return `${why}: "${mode}" is not a mode this migration knows`;
}

/** --NAME=VALUE or --NAME VALUE in a command line. */
function flagValue(words: readonly string[], name: string): string | undefined {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.startsWith(`--${name}=`)) return w.slice(name.length + 3);
    if (w === `--${name}`) return words[i + 1];
  }
  return undefined;
}

/** The server of a kubeconfig's current context (or its only cluster). */
function serverOf(kubeconfig: string | undefined): string | undefined {
  if (!kubeconfig) return undefined;
  let doc: unknown;
  try { doc = YAML.parse(kubeconfig); } catch { return undefined; }
  if (!isRecord(doc) || !Array.isArray(doc.clusters)) return undefined;
  const contexts = Array.isArray(doc.contexts) ? doc.contexts : [];
  const current = contexts.find((c) => isRecord(c) && c.name === doc['current-context']);
  const wanted = isRecord(current) && isRecord(current.context) ? current.context.cluster : undefined;
  const cluster = doc.clusters.find((c) => isRecord(c) && (wanted === undefined || c.name === wanted)) ?? (doc.clusters.length === 1 ? doc.clusters[0] : undefined);
  const server = isRecord(cluster) && isRecord(cluster.cluster) ? cluster.cluster.server : undefined;
  return typeof server === 'string' && server !== '' ? server : undefined;
}

function needsServiceRouting(server: string, serviceIPs: readonly string[]): boolean {
  const host = new URL(server).hostname.replace(/^\[|\]$/g, '');
  return serviceIPs.includes(host) || /^kubernetes(\.default(\.svc(\..+)?)?)?$/.test(host);
}
