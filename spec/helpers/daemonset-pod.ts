// The kubelet's part for the VM tests: the container of manifests/daemonset.yaml started under
// podman as the kubelet would start it: privileged, host network, its args with $(VAR)s expanded,
// its env (fieldRef, configMapKeyRef), its volumes (the ConfigMap as files, hostPaths, read-only
// where the manifest says), the service-account token directory and KUBERNETES_SERVICE_* that
// every pod gets. The image comes from the host-built store (scripts/image-build), read-only.
import { mkdirSync, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { exec, type ExecResult } from './exec.js';

const REPO = resolve(import.meta.dirname, '../..');
const PODMAN_DIR = '/tmp/podman';
const STORAGE_CONF = join(PODMAN_DIR, 'storage.conf');
export const IMAGE = process.env.IPVS_PROXY_IMAGE ?? 'localhost/ipvs-proxy:test';
const SA_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

type Env = { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string }; configMapKeyRef?: { name: string; key: string; optional?: boolean } } };
interface Container { args?: string[]; env?: Env[]; securityContext?: { privileged?: boolean }; volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }> }
interface Volume { name: string; configMap?: { name: string }; hostPath?: { path: string; type?: string } }
export interface DaemonSet { spec: { template: { spec: { hostNetwork?: boolean; containers: Container[]; volumes?: Volume[] } } } }

export function readDaemonSet(): DaemonSet {
  return YAML.parse(readFileSync(join(REPO, 'manifests/daemonset.yaml'), 'utf8')) as DaemonSet;
}

/** podman as root in the VM: storage on a tmpfs, the host-built image store beside it. */
export async function podman(...args: string[]): Promise<ExecResult> {
  return exec('podman', ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'none', ...args], { env: { ...process.env, CONTAINERS_STORAGE_CONF: STORAGE_CONF }, timeoutMs: 120_000 });
}

/** Once per VM: cgroup v2, podman's storage, and module indexes for the container's modprobe. */
export async function preparePodman(): Promise<void> {
  if (!existsSync('/sys/fs/cgroup/cgroup.controllers')) await exec('mount', ['-t', 'cgroup2', 'none', '/sys/fs/cgroup']);
  mkdirSync(PODMAN_DIR, { recursive: true });
  // the guest's / is an overlay, on which the kernel's overlay cannot make its upper layers
  if ((await exec('mountpoint', ['-q', PODMAN_DIR])).code !== 0) await exec('mount', ['-t', 'tmpfs', 'podman', PODMAN_DIR]);
  writeFileSync(STORAGE_CONF, `[storage]\ndriver = "overlay"\ngraphroot = "${PODMAN_DIR}/root"\nrunroot = "${PODMAN_DIR}/run"\n[storage.options]\nadditionalimagestores = ["${join(REPO, '.cache/image/storage')}"]\n`);
  const img = await podman('image', 'exists', IMAGE);
  if (img.code !== 0) throw new Error(`no image ${IMAGE} in ${REPO}/.cache/image/storage: run scripts/image-build first (npm test does)`);
  // the image's own kmod writes the indexes (the VM's busybox depmod writes only modules.dep)
  // host network: podman's default network would add its own netfilter rules to the node
  const dep = await podman('run', '--rm', '--privileged', '--network', 'host', '-v', '/lib/modules:/lib/modules', '--entrypoint', '/usr/sbin/depmod', IMAGE, '-a');
  if (dep.code !== 0) throw new Error(`depmod -a: ${dep.stderr}`);
}

export interface PodInputs {
  readonly name: string;
  readonly nodeName: string;
  /** ConfigMaps by name: their data, as the API server holds it */
  readonly configMaps: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** the service-account token and CA the kubelet would project */
  readonly token: string;
  readonly caCert: string;
  /** KUBERNETES_SERVICE_HOST/PORT, as the kubelet sets them (the kubernetes Service) */
  readonly kubernetesService?: { host: string; port: string };
}

export class DaemonSetPod {
  private constructor(readonly name: string, readonly args: readonly string[]) {}

  /** podman run, as the kubelet runs the DaemonSet's container; returns once it started. */
  static async run(ds: DaemonSet, o: PodInputs): Promise<DaemonSetPod> {
    const pod = ds.spec.template.spec;
    const c = pod.containers[0]!;
    const dir = mkdtempSync(join(PODMAN_DIR, `${o.name}-`));
    const env = new Map<string, string>();
    env.set('KUBERNETES_SERVICE_HOST', o.kubernetesService?.host ?? '10.96.0.1');
    env.set('KUBERNETES_SERVICE_PORT', o.kubernetesService?.port ?? '443');
    for (const e of c.env ?? []) {
      if (e.value !== undefined) env.set(e.name, e.value);
      else if (e.valueFrom?.fieldRef) {
        if (e.valueFrom.fieldRef.fieldPath !== 'spec.nodeName') throw new Error(`fieldRef ${e.valueFrom.fieldRef.fieldPath} not emulated`);
        env.set(e.name, o.nodeName);
      } else if (e.valueFrom?.configMapKeyRef) {
        const ref = e.valueFrom.configMapKeyRef;
        const v = o.configMaps[ref.name]?.[ref.key];
        if (v === undefined && !ref.optional) throw new Error(`CreateContainerConfigError: couldn't find key ${ref.key} in ConfigMap ${ref.name}`);
        if (v !== undefined) env.set(e.name, v);
      }
    }
    const volumes: string[] = [];
    for (const m of c.volumeMounts ?? []) {
      const v = (pod.volumes ?? []).find((x) => x.name === m.name);
      if (!v) throw new Error(`no volume ${m.name}`);
      let src: string;
      if (v.configMap) {
        const data = o.configMaps[v.configMap.name];
        if (!data) throw new Error(`no ConfigMap ${v.configMap.name}`);
        src = join(dir, `cm-${m.name}`);
        mkdirSync(src);
        for (const [k, text] of Object.entries(data)) writeFileSync(join(src, k), text);
      } else if (v.hostPath) {
        src = v.hostPath.path;
        if (v.hostPath.type === 'FileOrCreate' && !existsSync(src)) writeFileSync(src, '');
      } else throw new Error(`volume ${m.name}: kind not emulated`);
      volumes.push('-v', `${src}:${m.mountPath}${m.readOnly ? ':ro' : ''}`);
    }
    const sa = join(dir, 'serviceaccount');
    mkdirSync(sa);
    writeFileSync(join(sa, 'token'), o.token);
    writeFileSync(join(sa, 'ca.crt'), o.caCert);
    writeFileSync(join(sa, 'namespace'), 'kube-system');
    volumes.push('-v', `${sa}:${SA_PATH}:ro`);
    // the kubelet expands $(VAR) in args from the container's env
    const args = (c.args ?? []).map((a) => a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, n: string) => env.get(n) ?? all));
    await podman('rm', '-f', o.name);
    const r = await podman('run', '-d', '--name', o.name,
      ...(c.securityContext?.privileged ? ['--privileged'] : []), ...(pod.hostNetwork ? ['--network', 'host'] : []),
      ...[...env].flatMap(([k, v]) => ['-e', `${k}=${v}`]), ...volumes, IMAGE, ...args);
    if (r.code !== 0) throw new Error(`podman run: ${r.stderr}`);
    return new DaemonSetPod(o.name, args);
  }

  /** The container's log lines (bunyan JSON), with anything else as {text}. */
  async logs(): Promise<Array<Record<string, unknown>>> {
    const r = await podman('logs', this.name);
    return `${r.stdout}\n${r.stderr}`.split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l) as Record<string, unknown>; } catch { return { text: l }; } });
  }

  /**
   * A command inside the running container, as `kubectl exec` runs it: in its namespaces and root.
   * Through nsenter: this VM's podman cannot `podman exec` (runc fails to chdir into the container's root).
   */
  async exec(...command: string[]): Promise<ExecResult> {
    const pid = (await podman('inspect', '--format', '{{.State.Pid}}', this.name)).stdout.trim();
    return exec('nsenter', ['-t', pid, '-m', '-u', '-i', '-n', '-p', '-r', '-w', ...command]);
  }

  async running(): Promise<boolean> {
    const r = await podman('inspect', '--format', '{{.State.Running}}', this.name);
    return r.stdout.trim() === 'true';
  }

  /** As the kubelet stops it: SIGTERM (to tini, PID 1), SIGKILL after the grace period. Returns the exit code. */
  async stop(graceSeconds = 30): Promise<number> {
    const r = await podman('stop', '-t', String(graceSeconds), this.name);
    if (r.code !== 0) throw new Error(`podman stop: ${r.stderr}`);
    return Number((await podman('inspect', '--format', '{{.State.ExitCode}}', this.name)).stdout.trim());
  }

  async remove(): Promise<void> {
    await podman('rm', '-f', this.name);
  }
}

/** The image run once, as a Job would (e.g. `cleanup`), with the DaemonSet's privileges and mounts. */
export async function runImage(...args: string[]): Promise<ExecResult> {
  return podman('run', '--rm', '--privileged', '--network', 'host', '-v', '/lib/modules:/lib/modules:ro', '-v', '/run/xtables.lock:/run/xtables.lock', IMAGE, ...args);
}

/** A minimal JSON Patch (RFC 6902: add, remove, replace, test), as kustomize applies a patch file. */
export function jsonPatch<T>(doc: T, ops: ReadonlyArray<{ op: string; path: string; value?: unknown }>): T {
  const out = structuredClone(doc) as unknown;
  for (const { op, path, value } of ops) {
    const keys = path.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = keys.pop()!;
    let parent = out as Record<string, unknown>;
    for (const k of keys) parent = parent[k] as Record<string, unknown>;
    if (parent === undefined) throw new Error(`patch ${op} ${path}: no such path`);
    if (op === 'test') {
      const got = (parent as Record<string, unknown>)[last];
      if (JSON.stringify(got) !== JSON.stringify(value)) throw new Error(`patch test ${path}: ${JSON.stringify(got)}, not ${JSON.stringify(value)}`);
    } else if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (op === 'add') parent.splice(i, 0, value);
      else if (op === 'remove') parent.splice(i, 1);
      else if (op === 'replace') parent[i] = value;
      else throw new Error(`patch op ${op} not supported`);
    } else if (op === 'remove') {
      if (!(last in parent)) throw new Error(`patch remove ${path}: no such path`);
      delete parent[last];
    } else if (op === 'add' || op === 'replace') parent[last] = value;
    else throw new Error(`patch op ${op} not supported`);
  }
  return out as T;
}
