// A real Kubernetes cluster for the tests, started and torn down as one: the control plane on the
// host's end of the tap link (etcd, kube-apiserver, kube-controller-manager with its default
// controllers, kube-scheduler), the DNS stand-in, and kind-style nodes in the project's VM (the
// Debian kernel with IPVS), each with its own kubelet, containerd and runc, pod networking by the
// CNI bridge plugin and routes between the nodes' pod CIDRs; then the service proxy under test as
// its DaemonSet. Must run inside scripts/cluster/netns-run (the tap device and the addresses).
// Every step logs a line with its time; a step that fails stops everything started so far and
// says, in one line, what failed and where its log is.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ControlPlane, kubeBinary } from '../../spec/helpers/control-plane.js';
import { exec, type ExecResult } from '../../spec/helpers/exec.js';
import { DnsStandIn } from './dns.js';
import { CLUSTER_CIDR, DNS_SERVICE_IP, HOST_ADDRESS, Nodes } from './nodes.js';
import { LoggedError, until } from './steps.js';
import { daemonSetRolledOut, deployProxy, type ProxyName } from './proxies.js';
import { ClusterVm } from './vm.js';

const REPO = resolve(import.meta.dirname, '../..');
export const API_PORT = 6443;
export const ENDPOINT = `https://${HOST_ADDRESS}:${API_PORT}`;

export interface ClusterOptions {
  /** the service proxy deployed on every node, or none */
  readonly proxy: ProxyName | 'none';
  /** how many nodes (node-a, node-b, ...) */
  readonly nodes: number;
  /** the run's folder: work files and every log, kept after the cluster is gone */
  readonly dir: string;
  /** the OCI archives of scripts/cluster/images (built outside the network namespace, where buildah has its cgroups) */
  readonly archives: readonly string[];
  /** import both proxies' images, not only the deployed one's (a migration from one to the other) */
  readonly bothProxyImages?: boolean;
  readonly vmMemoryMiB?: number;
  readonly log?: (line: string) => void;
  /** for tests of this harness: how long a node may take (default 180 s), and another API server address for the kubelets */
  readonly nodeTimeoutMs?: number;
  readonly kubeletServer?: string;
}

/** The archives scripts/cluster/images listed in the file CLUSTER_IMAGES names. */
export function imageArchives(env: NodeJS.ProcessEnv = process.env): string[] {
  if (!env.CLUSTER_IMAGES || !existsSync(env.CLUSTER_IMAGES)) throw new Error('no CLUSTER_IMAGES: the list of scripts/cluster/images (scripts/conformance and scripts/test make it)');
  return readFileSync(env.CLUSTER_IMAGES, 'utf8').split('\n').filter(Boolean);
}

/** What another process of the same network namespace needs to use the cluster (KUBE_TEST_CLUSTER). */
interface ClusterInfo { readonly dir: string; readonly proxy: ProxyName | 'none'; readonly daemonSet?: string; readonly nodes: Array<{ name: string; ip: string; podCidr?: string }> }

export const nodeName = (i: number) => `node-${String.fromCharCode(97 + i)}`;
export const nodeIp = (i: number) => `10.10.0.${11 + i}`;

export class KubeCluster {
  private dns?: DnsStandIn;
  daemonSet?: string;

  private constructor(readonly cp: ControlPlane, readonly vm: ClusterVm, readonly nodes: Nodes, readonly dir: string, readonly proxy: ProxyName | 'none', private readonly log: (line: string) => void) {}

  static async up(o: ClusterOptions): Promise<KubeCluster> {
    const log = o.log ?? ((l: string) => console.error(l));
    mkdirSync(o.dir, { recursive: true });
    const step = async <T>(what: string, logFile: string, f: () => Promise<T>): Promise<T> => {
      const t0 = Date.now();
      try {
        const v = await f();
        log(`cluster: ${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        return v;
      } catch (e) {
        const log = e instanceof LoggedError ? e.log : logFile;
        throw new LoggedError(`${what} failed: ${(e as Error).message.split('\n')[0]} (log: ${log})`, log, { cause: e });
      }
    };
    const archives = o.archives.filter((a) => o.proxy === 'none' || o.bothProxyImages || !/\/(ipvs-proxy|kube-proxy)-[^/]*\.tar$/.test(a) || a.includes(`/${o.proxy}-`));
    const cp = await step('control plane', join(o.dir, 'control-plane'), () =>
      ControlPlane.start({ address: HOST_ADDRESS, port: API_PORT, controllers: 'all', clusterCidr: CLUSTER_CIDR, scheduler: true, kubelets: true }));
    let vm: ClusterVm | undefined;
    let cluster: KubeCluster | undefined;
    try {
      writeFileSync(join(o.dir, 'admin.kubeconfig'), readFileSync(join(cp.dir, 'admin.kubeconfig')));
      vm = await step('VM boot', join(o.dir, 'vm.log'), () =>
        ClusterVm.start({ dir: o.dir, memoryMiB: o.vmMemoryMiB ?? 6144, cpus: 2, kubelet: kubeBinary('kubelet') }));
      cluster = new KubeCluster(cp, vm, new Nodes(vm, cp, o.dir, { timeoutMs: o.nodeTimeoutMs ?? 180_000, server: o.kubeletServer }), o.dir, o.proxy, log);
      const c = cluster;
      c.dns = await step('DNS stand-in and the kube-dns Service', join(o.dir, 'control-plane'), async () => {
        const dns = await DnsStandIn.start(cp, HOST_ADDRESS);
        await c.kubeDnsService();
        return dns;
      });
      await step(`images imported (${archives.map((a) => a.split('/').at(-1)).join(', ')})`, join(o.dir, 'vm-share/logs/seed.log'), () => vm!.node('seed', ...archives));
      await step(`${o.nodes} nodes Ready`, join(o.dir, 'vm-share/logs'), () => Promise.all(Array.from({ length: o.nodes }, (_, i) => c.nodes.boot(nodeName(i), nodeIp(i)))));
      if (o.proxy !== 'none') {
        c.daemonSet = await step(`${o.proxy} deployed and ready on every node`, join(o.dir, 'vm-share/logs'), async () => {
          const ds = await deployProxy((...a) => c.kubectl(...a), o.proxy as ProxyName, { endpoint: ENDPOINT, workDir: o.dir });
          await c.rolledOut(ds, 300_000);
          return ds;
        });
      }
      c.writeInfo();
      return c;
    } catch (e) {
      if (cluster) await cluster.down().catch(() => undefined);
      else { await vm?.stop().catch(() => undefined); cp.saveLogs(join(o.dir, 'control-plane')); await cp.stop(); }
      throw e;
    }
  }

  /** The cluster another process started (KUBE_TEST_CLUSTER: its folder), from the same network namespace. */
  static attach(env: NodeJS.ProcessEnv = process.env): KubeCluster {
    const dir = env.KUBE_TEST_CLUSTER;
    if (!dir || !existsSync(join(dir, 'cluster.json'))) throw new Error('no cluster: run this through scripts/cluster/with-cluster (npm test does)');
    const info = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as ClusterInfo;
    const cp = ControlPlane.attach(HOST_ADDRESS, { KUBE_TEST_CONTROL_PLANE: join(dir, 'control-plane-ref') });
    const vm = ClusterVm.attach(dir);
    const c = new KubeCluster(cp, vm, new Nodes(vm, cp, dir), dir, info.proxy, (l) => console.error(l));
    for (const n of info.nodes) c.nodes.all.set(n.name, { ...n });
    c.daemonSet = info.daemonSet;
    return c;
  }

  get kubeconfig(): string {
    return join(this.dir, 'admin.kubeconfig');
  }

  kubectl(...args: string[]): Promise<ExecResult> {
    return exec(kubeBinary('kubectl'), [`--kubeconfig=${this.kubeconfig}`, ...args], { timeoutMs: 300_000 });
  }

  /** Boot one more node (node-c, ...); returns its name. */
  async addNode(): Promise<string> {
    const i = this.nodes.all.size;
    await this.nodes.boot(nodeName(i), nodeIp(i));
    this.writeInfo();
    return nodeName(i);
  }

  /** Wait until the DaemonSet runs a ready pod of its current template on every node. */
  async rolledOut(ds: string, ms: number): Promise<void> {
    await until(`DaemonSet ${ds} not ready on ${this.nodes.all.size} nodes within ${ms / 1000} s`, ms, async () => {
      const r = await this.cp.request('GET', `/apis/apps/v1/namespaces/kube-system/daemonsets/${ds}`);
      return r.status === 200 && daemonSetRolledOut(r.body, this.nodes.all.size);
    });
  }

  /** kubelet, containerd and kernel versions, as the nodes report them. */
  async versions(): Promise<string> {
    const nodes = await this.cp.must<{ items: Array<{ metadata: { name: string }; status: { nodeInfo: { kubeletVersion: string; containerRuntimeVersion: string; kernelVersion: string; osImage: string } } }> }>('GET', '/api/v1/nodes');
    return nodes.items.map((n) => `${n.metadata.name}: kubelet ${n.status.nodeInfo.kubeletVersion}, ${n.status.nodeInfo.containerRuntimeVersion}, kernel ${n.status.nodeInfo.kernelVersion} (${n.status.nodeInfo.osImage}), runc ${this.runcVersion()}`).join('\n');
  }

  /** Save every log into the run's folder, stop the VM, the DNS stand-in and the control plane. */
  async down(): Promise<void> {
    await this.nodes.saveLogs().catch(() => undefined);
    await this.vm.stop().catch(() => undefined);
    await this.dns?.stop().catch(() => undefined);
    this.cp.saveLogs(join(this.dir, 'control-plane'));
    await this.cp.stop();
  }

  private runcVersion(): string {
    return spawnSync('runc', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]?.replace(/^runc version /, '') ?? '?';
  }

  /** kube-dns with no selector, its EndpointSlice pointing at the DNS stand-in on the host's end. */
  private async kubeDnsService(): Promise<void> {
    const ports = [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }];
    await this.cp.must('POST', '/api/v1/namespaces/kube-system/services', { apiVersion: 'v1', kind: 'Service',
      metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'DNS-stand-in' } },
      spec: { clusterIP: DNS_SERVICE_IP, ports: ports.map((p) => ({ ...p, targetPort: 53 })) } });
    await this.cp.must('POST', '/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices', { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: 'kube-dns-stand-in', namespace: 'kube-system', labels: { 'kubernetes.io/service-name': 'kube-dns', 'endpointslice.kubernetes.io/managed-by': 'dns-stand-in.ipvs-proxy.io' } },
      addressType: 'IPv4', endpoints: [{ addresses: [HOST_ADDRESS], conditions: { ready: true } }], ports });
  }

  private writeInfo(): void {
    mkdirSync(join(this.dir, 'control-plane-ref'), { recursive: true });
    writeFileSync(join(this.dir, 'control-plane-ref/info.json'), JSON.stringify(this.cp.info()));
    const info: ClusterInfo = { dir: this.dir, proxy: this.proxy, daemonSet: this.daemonSet, nodes: [...this.nodes.all.values()] };
    writeFileSync(join(this.dir, 'cluster.json'), JSON.stringify(info));
  }
}
