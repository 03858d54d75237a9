// Which API server to reach and with which credentials: a kubeconfig file (as kubeadm mounts
// kube-proxy's), the control-plane endpoint (--master) with the pod's service-account
// credentials, or the in-cluster `kubernetes` Service. Only the last depends on Service routing,
// which no proxy has programmed yet on a node that just booted, so it is the last resort.
import { existsSync, readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { dirname, resolve } from 'node:path';
import YAML from 'yaml';
import { KubeConfig } from './kube-client.js';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ApiEndpointOptions {
  readonly kubeconfig?: string;
  readonly master?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** where the pod's token and CA are (tests point it elsewhere) */
  readonly serviceAccountDir?: string;
}

export type EndpointOrigin = 'kubeconfig' | 'master' | 'in-cluster';

export interface ApiEndpoint {
  readonly kubeConfig: KubeConfig;
  /** the URL requests go to */
  readonly server: string;
  readonly origin: EndpointOrigin;
  /** what to change when this server cannot be reached, in one sentence */
  readonly fix: string;
}

const SET_MASTER = 'set the control-plane endpoint with --master, `master` in the config file or the IPVS_PROXY_MASTER environment variable (e.g. https://CONTROL_PLANE:6443), or mount a kubeconfig that points at it (--kubeconfig, as kubeadm does for kube-proxy)';

/** The API server to use and how to authenticate to it; throws when none is configured. */
export function apiEndpoint(o: ApiEndpointOptions): ApiEndpoint {
  const env = o.env ?? process.env;
  const master = o.master?.trim() || undefined;
  if (master) checkUrl(master, '--master');
  const saDir = o.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  if (o.kubeconfig) {
    const kubeConfig = loadKubeconfigFile(o.kubeconfig);
    if (master) overrideServer(kubeConfig, master);
    const server = kubeConfig.getCurrentCluster()!.server;
    return {
      kubeConfig, server, origin: 'kubeconfig',
      fix: master ? `check that ${server} (--master) is reachable from this node` : `check that ${server}, the server of ${o.kubeconfig} (--kubeconfig), is reachable from this node, or set --master`,
    };
  }
  if (master) {
    return { kubeConfig: serviceAccountConfig(master, saDir), server: master, origin: 'master', fix: `check that ${master} (--master) is reachable from this node` };
  }
  const host = env.KUBERNETES_SERVICE_HOST;
  if (host) {
    const port = env.KUBERNETES_SERVICE_PORT || '443';
    const server = `https://${isIPv6(host) ? `[${host}]` : host}:${port}`;
    return {
      kubeConfig: serviceAccountConfig(server, saDir), server, origin: 'in-cluster',
      fix: `${server} is the kubernetes Service's ClusterIP (KUBERNETES_SERVICE_HOST), which works only once a service proxy has programmed this node: ${SET_MASTER}`,
    };
  }
  throw new Error(`no API server configured: ${SET_MASTER}; or give --objects FILE`);
}

/** manifests/configmap.yaml's placeholder of the control-plane endpoint */
const PLACEHOLDER = 'CONTROL_PLANE_ENDPOINT';

function checkUrl(url: string, setting: string): void {
  if (url.includes(PLACEHOLDER)) throw new Error(`${setting} ${url} is the manifests' placeholder: set apiServer in the ipvs-proxy ConfigMap to the control-plane endpoint (e.g. https://10.0.0.10:6443), as the README shows`);
  let u: URL;
  try { u = new URL(url); } catch { throw new Error(`${setting} ${url}: not a URL (e.g. https://10.0.0.10:6443)`); }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`${setting} ${url}: not an http(s) URL`);
}

/** The pod's service-account token (re-read as the kubelet rotates it) and CA, for this server. */
function serviceAccountConfig(server: string, saDir: string): KubeConfig {
  const token = `${saDir}/token`;
  const ca = `${saDir}/ca.crt`;
  const kc = new KubeConfig();
  // without a token (a proxy run by hand against an open server) requests go unauthenticated
  const user = existsSync(token) ? { name: 'sa', authProvider: { name: 'tokenFile', config: { tokenFile: token } } } : { name: 'none' };
  kc.loadFromOptions({
    clusters: [{ name: 'api', server, caFile: existsSync(ca) ? ca : undefined, skipTLSVerify: server.startsWith('http:') }],
    users: [user],
    contexts: [{ name: 'api', cluster: 'api', user: user.name }],
    currentContext: 'api',
  });
  return kc;
}

/**
 * A kubeconfig file. client-node reads a user's token file only under the name `token-file`,
 * and once; kubeadm's kube-proxy kubeconfig (and client-go) spell it `tokenFile`, and the token
 * is rotated, so those users get client-node's re-reading file authenticator instead.
 */
function loadKubeconfigFile(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  if (!kc.getCurrentCluster()) throw new Error(`${path}: the kubeconfig has no current cluster`);
  const doc = YAML.parse(readFileSync(path, 'utf8')) as { users?: { name?: string; user?: { tokenFile?: string } }[] } | null;
  const tokenFiles = new Map<string, string>();
  for (const u of doc?.users ?? []) {
    if (u?.name && typeof u.user?.tokenFile === 'string') tokenFiles.set(u.name, resolve(dirname(path), u.user.tokenFile));
  }
  if (tokenFiles.size) {
    kc.users = kc.users.map((u) => {
      const tokenFile = tokenFiles.get(u.name);
      return tokenFile && !u.token && !u.authProvider ? { ...u, authProvider: { name: 'tokenFile', config: { tokenFile } } } : u;
    });
  }
  return kc;
}

function overrideServer(kc: KubeConfig, server: string): void {
  const cluster = kc.getCurrentCluster()!;
  kc.clusters = kc.clusters.map((c) => (c.name === cluster.name ? { ...c, server } : c));
}
