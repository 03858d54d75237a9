// A real Kubernetes control plane for tests: Debian's etcd, kube-apiserver and
// kube-controller-manager v1.26.1 (KUBE_BIN_DIR, else ../shared/kube/), bound to 127.0.0.1 on free
// ports (or to a given address, as scripts/cluster's real cluster does, with kube-scheduler, all
// default controllers and client certificates for kubelets), with certificates made here by
// openssl and an audit log of what the proxy's service account does. Never skipped: a missing
// binary is an error that says where to get it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest, Agent } from 'node:https';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The programs of ../shared/kube/, all v1.26.1. */
export type KubeBinary = 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kubelet' | 'kubectl' | 'kube-proxy' | 'e2e-network.test';
const WHERE = 'the official kubernetes-server-linux-amd64.tar.gz of a 1.26+ release (https://dl.k8s.io/release/v1.26.1/kubernetes-server-linux-amd64.tar.gz, kubernetes/server/bin/)';

/** The path of a Kubernetes program: from KUBE_BIN_DIR, else decompressed from ../shared/kube/ into .cache/kube and checked against its SHA256. */
export function kubeBinary(name: KubeBinary, env: NodeJS.ProcessEnv = process.env): string {
  if (env.KUBE_BIN_DIR) {
    const path = join(env.KUBE_BIN_DIR, name);
    if (!existsSync(path)) throw new Error(`KUBE_BIN_DIR=${env.KUBE_BIN_DIR} has no ${name}: put there the binaries of ${WHERE}`);
    return path;
  }
  const shared = resolve(REPO, '../shared/kube');
  if (!existsSync(join(shared, `${name}.xz`))) {
    throw new Error(`no ${name}: set KUBE_BIN_DIR to a folder with the binaries of ${WHERE} (looked there and in ${shared})`);
  }
  const sums = new Map(readFileSync(join(shared, 'SHA256SUMS'), 'utf8').split('\n').filter(Boolean).map((l) => { const [sum, file] = l.split(/\s+\*?/); return [file!, sum!]; }));
  const out = join(REPO, '.cache/kube');
  mkdirSync(out, { recursive: true });
  const target = join(out, name);
  const want = sums.get(name);
  // the sum written beside the file says it was checked: hashing 60 MB on every call costs a second
  const stamp = `${target}.checked`;
  if (existsSync(target) && existsSync(stamp) && readFileSync(stamp, 'utf8') === `${want}`) return target;
  if (!existsSync(target) || (want && sha256(target) !== want)) {
    const tmp = `${target}.${process.pid}.tmp`;
    const r = spawnSync('sh', ['-c', 'xz -dc "$1" > "$2"', 'xz', join(shared, `${name}.xz`), tmp]);
    if (r.status !== 0) throw new Error(`xz -dc ${shared}/${name}.xz: ${r.stderr.toString()}`);
    if (want && sha256(tmp) !== want) throw new Error(`${name} does not match its SHA256 in ${shared}/SHA256SUMS`);
    chmodSync(tmp, 0o755);
    renameSync(tmp, target);
  }
  writeFileSync(stamp, `${want}`);
  return target;
}

/** The folder holding kube-apiserver and kube-controller-manager, decompressed and checked if need be. */
export function kubeBinDir(env: NodeJS.ProcessEnv = process.env): string {
  kubeBinary('kube-controller-manager', env);
  return dirname(kubeBinary('kube-apiserver', env));
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * A port free now, below the kernel's ephemeral range (32768 and up by default): a port the
 * kernel handed out for listen(0) is also handed to outgoing connections, and one took etcd's
 * port between this check and etcd's bind in a CI run.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const s = createServer();
    const free = await new Promise<boolean>((r) => { s.once('error', () => r(false)); s.listen(port, '127.0.0.1', () => r(true)); });
    if (free) { await new Promise((r) => s.close(r)); return port; }
  }
}

function openssl(dir: string, ...args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A key and a certificate signed by the CA in dir (name.key, name.crt). */
function sign(dir: string, name: string, subj: string, ext: string): void {
  openssl(dir, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
}

/** CA, serving certificate, admin client certificate (system:masters), service-account keys. */
function makeCertificates(dir: string, sans: readonly string[]): void {
  openssl(dir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=test-ca');
  const dns = ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];
  sign(dir, 'apiserver', '/CN=kube-apiserver', `subjectAltName=${[...['127.0.0.1', '10.96.0.1', ...sans].map((a) => `IP:${a}`), ...dns.map((d) => `DNS:${d}`)].join(',')}\nextendedKeyUsage=serverAuth\n`);
  sign(dir, 'admin', '/O=system:masters/CN=test-admin', 'extendedKeyUsage=clientAuth\n');
  openssl(dir, 'genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key');
  openssl(dir, 'pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub');
}

export interface ControlPlaneOptions {
  /** more IP addresses for the serving certificate (e.g. 10.0.2.2, as the VM reaches the host) */
  readonly sans?: readonly string[];
  /**
   * The address the API server binds and advertises, and the port (default: 127.0.0.1 and a free
   * port). With an address other than loopback the kubernetes Service gets it as its endpoint.
   */
  readonly address?: string;
  readonly port?: number;
  /**
   * kube-controller-manager: true (the default) runs only the controllers a proxy's inputs need
   * (EndpointSlice, ServiceAccount); 'all' its default controllers, node CIDRs from clusterCidr
   * included, as a real cluster runs them; false none.
   */
  readonly controllers?: boolean | 'all';
  /** the cluster's pod CIDR, from which nodes get theirs (with controllers 'all') */
  readonly clusterCidr?: string;
  /** start kube-scheduler */
  readonly scheduler?: boolean;
  /** an API server that reaches kubelets: its client certificate for them, their InternalIP first */
  readonly kubelets?: boolean;
  readonly apiserverArgs?: readonly string[];
  /** audit (at Metadata level) the requests of these users */
  readonly auditUsers?: readonly string[];
}

export interface ControlPlaneInfo { readonly dir: string; readonly port: number; readonly etcdPort: number }

export interface ApiResponse<T> { readonly status: number; readonly body: T }

/** What a process of the control plane is and how to start it again. */
interface Proc { readonly name: string; readonly cmd: string; readonly args: readonly string[]; child?: ChildProcess }

export class ControlPlane {
  readonly url: string;
  private readonly procs: Proc[] = [];
  private readonly agent: Agent;

  private constructor(readonly dir: string, readonly port: number, private readonly etcdPort: number, host = '127.0.0.1') {
    this.url = `https://${host}:${port}`;
    this.agent = new Agent({ ca: this.read('ca.crt'), cert: this.read('admin.crt'), key: this.read('admin.key'), keepAlive: false });
  }

  /** Start etcd, kube-apiserver and (unless told not to) kube-controller-manager; again on new ports if a port was taken meanwhile. */
  static async start(o: ControlPlaneOptions = {}): Promise<ControlPlane> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await ControlPlane.startOnce(o);
      } catch (e) {
        if (attempt >= 3 || !/address already in use/.test((e as Error).message)) throw e;
      }
    }
  }

  private static async startOnce(o: ControlPlaneOptions): Promise<ControlPlane> {
    if (!existsSync('/usr/bin/etcd')) throw new Error('no etcd: apt-get install -y etcd-server (scripts/host-packages does)');
    const address = o.address ?? '127.0.0.1';
    const dir = mkdtempSync(join(tmpdir(), 'control-plane-'));
    makeCertificates(dir, [...(address === '127.0.0.1' ? [] : [address]), ...(o.sans ?? [])]);
    if (o.kubelets) sign(dir, 'kubelet-client', '/O=system:masters/CN=kube-apiserver-kubelet-client', 'extendedKeyUsage=clientAuth\n');
    const [etcdPort, peerPort, port] = [await freePort(), await freePort(), o.port ?? await freePort()];
    const cp = new ControlPlane(dir, port, etcdPort, address);
    const admin = join(dir, 'admin.kubeconfig');
    writeFileSync(admin, cp.kubeconfig({ clientCertificate: join(dir, 'admin.crt'), clientKey: join(dir, 'admin.key') }));
    const etcd = `http://127.0.0.1:${etcdPort}`;
    cp.procs.push({ name: 'etcd', cmd: '/usr/bin/etcd', args: ['--name', 't', '--data-dir', join(dir, 'etcd'), '--listen-client-urls', etcd, '--advertise-client-urls', etcd,
      '--listen-peer-urls', `http://127.0.0.1:${peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`, '--initial-cluster', `t=http://127.0.0.1:${peerPort}`] });
    const audit = o.auditUsers?.length
      ? (writeFileSync(join(dir, 'audit-policy.yaml'), JSON.stringify({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', omitStages: ['RequestReceived'],
          rules: [{ level: 'Metadata', users: o.auditUsers }, { level: 'None' }] })),
        [`--audit-policy-file=${join(dir, 'audit-policy.yaml')}`, `--audit-log-path=${join(dir, 'audit.log')}`, '--audit-log-mode=blocking'])
      : [];
    // a loopback address cannot be the kubernetes Service's endpoint (validation refuses it)
    const reconciler = address.startsWith('127.') ? ['--endpoint-reconciler-type=none'] : [];
    const kubelets = o.kubelets
      ? [`--kubelet-client-certificate=${join(dir, 'kubelet-client.crt')}`, `--kubelet-client-key=${join(dir, 'kubelet-client.key')}`,
          '--kubelet-preferred-address-types=InternalIP,Hostname', '--enable-admission-plugins=NodeRestriction']
      : [];
    cp.procs.push({ name: 'kube-apiserver', cmd: kubeBinary('kube-apiserver'), args: [`--etcd-servers=${etcd}`, `--bind-address=${address}`, `--secure-port=${port}`,
      `--advertise-address=${address}`, ...reconciler, '--service-cluster-ip-range=10.96.0.0/16',
      `--tls-cert-file=${join(dir, 'apiserver.crt')}`, `--tls-private-key-file=${join(dir, 'apiserver.key')}`, `--client-ca-file=${join(dir, 'ca.crt')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local', `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`, '--authorization-mode=Node,RBAC', '--allow-privileged=true', `--cert-dir=${join(dir, 'certs')}`, '--profiling=false',
      ...kubelets, ...audit, ...(o.apiserverArgs ?? [])] });
    const controllers = o.controllers ?? true;
    if (controllers) {
      const which = controllers === 'all'
        ? ['--controllers=*', '--allocate-node-cidrs=true', `--cluster-cidr=${o.clusterCidr ?? '10.244.0.0/16'}`, '--node-cidr-mask-size=24',
            '--service-cluster-ip-range=10.96.0.0/16', '--use-service-account-credentials=true', `--cluster-signing-cert-file=${join(dir, 'ca.crt')}`,
            `--cluster-signing-key-file=${join(dir, 'ca.key')}`]
        : ['--controllers=endpointslice,endpointslicemirroring,serviceaccount,serviceaccount-token'];
      cp.procs.push({ name: 'kube-controller-manager', cmd: kubeBinary('kube-controller-manager'), args: [`--kubeconfig=${admin}`, '--leader-elect=false',
        '--bind-address=127.0.0.1', '--secure-port=0', '--kube-api-qps=200', '--kube-api-burst=400', ...which,
        `--service-account-private-key-file=${join(dir, 'sa.key')}`, `--root-ca-file=${join(dir, 'ca.crt')}`] });
    }
    if (o.scheduler) {
      cp.procs.push({ name: 'kube-scheduler', cmd: kubeBinary('kube-scheduler'), args: [`--kubeconfig=${admin}`, '--leader-elect=false', '--bind-address=127.0.0.1', '--secure-port=0'] });
    }
    try {
      cp.launch(cp.procs[0]!);
      await cp.until(async () => (await cp.etcdRequest('/health')).status === 200, 30_000, 'etcd health');
      cp.launch(cp.procs[1]!);
      await cp.ready();
      for (const p of cp.procs.slice(2)) cp.launch(p);
      if (controllers) {
        // the ServiceAccount controller makes each namespace's default account; pods need it
        await cp.until(async () => (await cp.request('GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200, 60_000, 'the default ServiceAccount');
      }
    } catch (e) {
      await cp.stop();
      throw e;
    }
    return cp;
  }

  /** A kubeconfig for a node's kubelet (system:node:NAME in system:nodes, as the Node authorizer wants), at server. */
  nodeKubeconfig(node: string, server = this.url): string {
    const name = `node-${node}`;
    if (!existsSync(join(this.dir, `${name}.crt`))) sign(this.dir, name, `/O=system:nodes/CN=system:node:${node}`, 'extendedKeyUsage=clientAuth\n');
    return this.kubeconfig({ clientCertificateData: this.read(`${name}.crt`), clientKeyData: this.read(`${name}.key`), caData: this.read('ca.crt') }, server);
  }

  /** Copy the control plane's logs (etcd, kube-apiserver, ...) into dir. */
  saveLogs(dir: string): void {
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(this.dir)) if (f.endsWith('.log')) copyFileSync(join(this.dir, f), join(dir, f));
  }

  /** What another process needs to use this control plane (scripts/with-control-plane). */
  info(): ControlPlaneInfo {
    return { dir: this.dir, port: this.port, etcdPort: this.etcdPort };
  }

  /**
   * The control plane another process started (KUBE_TEST_CONTROL_PLANE: its folder), reached at
   * host (10.0.2.2 from the VM); it cannot be restarted or stopped from here.
   */
  static attach(host: string, env: NodeJS.ProcessEnv = process.env): ControlPlane {
    const dir = env.KUBE_TEST_CONTROL_PLANE;
    if (!dir || !existsSync(join(dir, 'info.json'))) throw new Error('no control plane: run this test through scripts/with-control-plane (npm test does)');
    const info = JSON.parse(readFileSync(join(dir, 'info.json'), 'utf8')) as ControlPlaneInfo;
    return new ControlPlane(info.dir, info.port, info.etcdPort, host);
  }

  /** A kubeconfig for this server (as the proxy would get one), with the given credentials; files by path, or their contents inline. */
  kubeconfig(user: { clientCertificate?: string; clientKey?: string; tokenFile?: string; token?: string; clientCertificateData?: string; clientKeyData?: string; caData?: string }, server = this.url): string {
    const u: Record<string, string> = {};
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    if (user.clientCertificate) u['client-certificate'] = user.clientCertificate;
    if (user.clientKey) u['client-key'] = user.clientKey;
    if (user.clientCertificateData) u['client-certificate-data'] = b64(user.clientCertificateData);
    if (user.clientKeyData) u['client-key-data'] = b64(user.clientKeyData);
    if (user.tokenFile) u.tokenFile = user.tokenFile;
    if (user.token) u.token = user.token;
    const ca = user.caData ? { 'certificate-authority-data': b64(user.caData) } : { 'certificate-authority': join(this.dir, 'ca.crt') };
    return JSON.stringify({ apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
      clusters: [{ name: 'k', cluster: { server, ...ca } }],
      users: [{ name: 'u', user: u }], contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }] });
  }

  read(file: string): string {
    return readFileSync(join(this.dir, file), 'utf8');
  }

  /** A request as the cluster's admin; the body is JSON unless contentType says otherwise. */
  request<T = any>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<ApiResponse<T>> {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((res, rej) => {
      const req = httpsRequest(`${this.url}${path}`, { method, agent: this.agent, headers: { accept: 'application/json', ...(data ? { 'content-type': contentType } : {}) }, timeout: 30_000 }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown = text;
          try { parsed = JSON.parse(text); } catch { /* not JSON (readyz) */ }
          res({ status: r.statusCode ?? 0, body: parsed as T });
        });
      });
      req.on('error', rej);
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.end(data);
    });
  }

  /** Like request, but a status other than 2xx throws with the API server's message. */
  async must<T = any>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const r = await this.request<T>(method, path, body, contentType);
    if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path}: HTTP ${r.status}: ${JSON.stringify(r.body).slice(0, 400)}`);
    return r.body;
  }

  /** The events of a watch (path without ?watch), as the cluster's admin, until stop() or the server ends it. */
  watch<T = any>(path: string, onEvent: (type: string, object: T) => void): { stop: () => void; done: Promise<void> } {
    let req: ReturnType<typeof httpsRequest> | undefined;
    const done = new Promise<void>((res, rej) => {
      req = httpsRequest(`${this.url}${path}${path.includes('?') ? '&' : '?'}watch=1`, { agent: this.agent, headers: { accept: 'application/json' } }, (r) => {
        if (r.statusCode !== 200) { rej(new Error(`watch ${path}: HTTP ${r.statusCode}`)); r.resume(); return; }
        let buf = '';
        r.setEncoding('utf8').on('data', (d: string) => {
          buf += d;
          for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line.trim()) { const e = JSON.parse(line) as { type: string; object: T }; onEvent(e.type, e.object); }
          }
        });
        r.on('end', () => res());
        r.on('error', () => res());
      });
      req.on('error', (e) => (req?.destroyed ? res() : rej(e)));
      req.end();
    });
    return { stop: () => req?.destroy(), done };
  }

  /** A token of a ServiceAccount (TokenRequest), as the kubelet mounts into its pods. */
  async token(namespace: string, name: string, seconds = 3600): Promise<string> {
    const r = await this.must<{ status: { token: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: seconds } });
    return r.status.token;
  }

  /** The audit log's events (Metadata level) of the audited users. */
  audit(): Array<{ verb: string; user: { username: string }; objectRef?: { resource?: string; apiGroup?: string; subresource?: string; name?: string }; responseStatus?: { code?: number } }> {
    const file = join(this.dir, 'audit.log');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  }

  /** Compact etcd's history up to now: watches from older versions get 410 Gone. */
  async compact(): Promise<number> {
    const range = await this.etcdRequest('/v3/kv/range', { key: Buffer.from('/').toString('base64') });
    const revision = Number((JSON.parse(range.body) as { header: { revision: string } }).header.revision);
    const r = await this.etcdRequest('/v3/kv/compaction', { revision: String(revision), physical: true });
    if (r.status !== 200) throw new Error(`etcd compaction: ${r.status} ${r.body}`);
    return revision;
  }

  /** Stop the API server and start it again (same port, same data). */
  async restartApiserver(downMs = 0): Promise<void> {
    const p = this.procs.find((x) => x.name === 'kube-apiserver')!;
    await this.kill(p);
    if (downMs) await sleep(downMs);
    this.launch(p);
    await this.ready();
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    if (!this.procs.length) return; // attached: the process that started it stops it
    for (const p of [...this.procs].reverse()) await this.kill(p);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async ready(): Promise<void> {
    await this.until(async () => {
      const r = await this.request('GET', '/readyz').catch(() => ({ status: 0 }));
      return r.status === 200;
    }, 60_000, 'kube-apiserver /readyz');
  }

  private launch(p: Proc): void {
    const log = createWriteStream(join(this.dir, `${p.name}.log`), { flags: 'a' });
    const child = spawn(p.cmd, p.args as string[], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    p.child = child;
  }

  private async kill(p: Proc): Promise<void> {
    const c = p.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
    p.child = undefined;
  }

  private async until(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
    const end = Date.now() + ms;
    for (;;) {
      if (await cond().catch(() => false)) return;
      const dead = this.procs.find((p) => p.child && p.child.exitCode !== null);
      if (dead || Date.now() > end) {
        const name = dead?.name ?? 'kube-apiserver';
        const tail = existsSync(join(this.dir, `${name}.log`)) ? this.read(`${name}.log`).split('\n').slice(-15).join('\n') : '';
        throw new Error(`control plane: ${what} ${dead ? `(${name} exited ${dead.child!.exitCode})` : `not within ${ms} ms`}; last lines of ${name}:\n${tail}`);
      }
      await sleep(250);
    }
  }

  private etcdRequest(path: string, body?: unknown): Promise<{ status: number; body: string }> {
    return new Promise((res, rej) => {
      const req = httpRequest(`http://127.0.0.1:${this.etcdPort}${path}`, { method: body ? 'POST' : 'GET', timeout: 10_000 }, (r) => {
        let text = '';
        r.on('data', (c: Buffer) => { text += c.toString(); });
        r.on('end', () => res({ status: r.statusCode ?? 0, body: text }));
      });
      req.on('error', rej);
      req.end(body ? JSON.stringify(body) : undefined);
    });
  }
}
