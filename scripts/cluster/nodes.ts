// The cluster's nodes, seen from the host: what each kubelet is given (credentials as
// system:node:NAME, its configuration), its boot in the VM (scripts/cluster/vm-node), and what a
// CNI daemon would do once the node has its pod CIDR from the controller manager: the bridge
// plugin's configuration and the routes between the nodes' pod CIDRs.
import type { ControlPlane } from '../../spec/helpers/control-plane.js';
import { exec } from '../../spec/helpers/exec.js';
import { LoggedError, until } from './steps.js';
import type { ClusterVm } from './vm.js';

/** The host's end of the tap link: the control plane, the DNS stand-in, the e2e tests. */
export const HOST_ADDRESS = '10.10.0.1';
export const CLUSTER_CIDR = '10.244.0.0/16';
export const DNS_SERVICE_IP = '10.96.0.10';

export interface NodeInfo { readonly name: string; readonly ip: string; podCidr?: string }

const disk = (name: string) => `/run/cluster/nodes/${name}/disk`;

/** The kubelet's configuration, as a real node's (webhook authentication and authorization, x509 for the API server). */
export function kubeletConfig(name: string): string {
  return JSON.stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration',
    // each node's pods under its own cgroup, beside its containerd and kubelet (/NAME/system)
    cgroupDriver: 'cgroupfs', cgroupRoot: `/${name}`,
    failSwapOn: false,
    resolvConf: '/run/resolv.conf', clusterDomain: 'cluster.local', clusterDNS: [DNS_SERVICE_IP],
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: '/var/lib/kubelet/pki/ca.crt' } },
    authorization: { mode: 'Webhook' },
    serializeImagePulls: false,
    // the disk is a tmpfs the kernel reports as nearly empty or full at will; nothing can be pulled
    // again (no registry), so no image is ever collected
    evictionHard: { 'memory.available': '50Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
    imageGCHighThresholdPercent: 100, imageGCLowThresholdPercent: 99,
    rotateCertificates: false,
  });
}

/** The bridge plugin for the node's pod CIDR, as the reference node ran it. */
export function cniConfig(podCidr: string): string {
  return JSON.stringify({ cniVersion: '0.4.0', name: 'pods', plugins: [
    { type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq: false, hairpinMode: true,
      ipam: { type: 'host-local', ranges: [[{ subnet: podCidr }]], routes: [{ dst: '0.0.0.0/0' }] } },
    { type: 'portmap', capabilities: { portMappings: true } },
  ] });
}

interface NodeObject { spec?: { podCIDR?: string }; status?: { conditions?: Array<{ type: string; status: string; lastHeartbeatTime?: string }> } }

export interface NodeOptions {
  /** how long a node may take to register, and again to be Ready */
  readonly timeoutMs: number;
  /** the API server's address in the kubelets' kubeconfig (another one tests a kubelet that cannot reach it) */
  readonly server?: string;
}

export class Nodes {
  readonly all = new Map<string, NodeInfo>();

  constructor(private readonly vm: ClusterVm, private readonly cp: ControlPlane, private readonly logDir: string, private readonly o: NodeOptions = { timeoutMs: 180_000 }) {}

  /**
   * Boot a node (or boot it again after powerOff) and wait until it is Ready with its routes;
   * afterUp runs once its namespaces exist, before its kubelet has done anything.
   */
  async boot(name: string, ip: string, afterUp?: () => Promise<void>): Promise<void> {
    const d = disk(name);
    const heartbeat = (n?: NodeObject) => n?.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime;
    const before = heartbeat(await this.get(name));
    await this.vm.put(`${d}/var-lib-kubelet/kubeconfig`, this.cp.nodeKubeconfig(name, this.o.server));
    await this.vm.put(`${d}/var-lib-kubelet/pki/ca.crt`, this.cp.read('ca.crt'));
    await this.vm.put(`${d}/var-lib-kubelet/config.yaml`, kubeletConfig(name));
    await this.vm.node('up', name, ip, HOST_ADDRESS);
    await afterUp?.();
    const node: NodeInfo = this.all.get(name) ?? { name, ip };
    this.all.set(name, node);
    const log = `${this.logDir}/vm-share/logs/${name}/kubelet.log`;
    try {
      node.podCidr = await until(`node ${name} did not register within ${this.o.timeoutMs / 1000} s`, this.o.timeoutMs, async () =>
        (await this.get(name))?.spec?.podCIDR);
      await this.vm.put(`${d}/etc-cni/net.d/10-pods.conflist`, cniConfig(node.podCidr));
      await this.routes();
      // Ready, as reported by this boot's kubelet (a rebooted node's last status says Ready too)
      await until(`node ${name} not Ready within ${this.o.timeoutMs / 1000} s`, this.o.timeoutMs, async () => {
        const n = await this.get(name);
        return heartbeat(n) !== before && n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      });
    } catch (e) {
      throw new LoggedError((e as Error).message, log);
    }
  }

  /** Every process of the node killed at once and its network namespace gone, as a power cut; its disk stays. */
  async powerOff(name: string): Promise<void> {
    await this.vm.node('down', name);
  }

  /** A command in the node's namespaces (as on the node's own shell). */
  exec(name: string, argv: readonly string[], input?: string) {
    return this.vm.run(['bash', 'scripts/cluster/vm-node', 'exec', name, ...argv], { input });
  }

  /** The nodes' /var/log (pods' logs) as tars beside their kubelet's and containerd's logs. */
  async saveLogs(): Promise<void> {
    for (const n of this.all.keys()) await this.vm.node('logs', n, `/run/vm-run/logs/${n}/var-log.tar.gz`).catch(() => undefined);
  }

  /** Each node routes the others' pod CIDRs to them; so does the host's end (the API server reaches pods). */
  private async routes(): Promise<void> {
    const ready = [...this.all.values()].filter((n) => n.podCidr);
    for (const to of ready) {
      for (const from of ready) if (from !== to) await this.vm.node('route', from.name, to.podCidr!, to.ip).catch(() => undefined);
      const r = await exec('ip', ['route', 'replace', to.podCidr!, 'via', to.ip]);
      if (r.code !== 0) throw new Error(`ip route replace ${to.podCidr} via ${to.ip}: ${r.stderr}`);
    }
  }

  private async get(name: string): Promise<NodeObject | undefined> {
    const r = await this.cp.request<NodeObject>('GET', `/api/v1/nodes/${name}`);
    return r.status === 200 ? r.body : undefined;
  }
}
