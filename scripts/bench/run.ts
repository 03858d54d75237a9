// The benchmark. `--pure`: the model and plan in-process with the fake kernel (no VM).
// Otherwise (inside the VM): for each size, the floor (ipvsadm -R + ipset restore of the same
// state), then the proxy as a process fed by a list/watch API server: cold sync, incremental
// endpoint changes (with the kernel's rate estimation on, then off), an idle full resync, peak RSS. Prints a table; the last line is the JSON.
import { mkdtempSync, readFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate, changeTarget, slice, type Generated } from './generate.js';
import type { NodeFacts } from '../../lib/model/node.js';
import { percentile } from './stats.js';
import { inMajorGc, majorGcs } from './gc-trace.js';
import { cpuSpent, meanSpent, sampleCpu, type CpuSpent } from './cpu-account.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { Proxy } from '../../lib/runner/proxy.js';
import { ProxyMetrics } from '../../lib/runner/metrics.js';
import { HealthState } from '../../lib/runner/health.js';
import { GcTime } from '../../lib/runner/gc-time.js';
import type { ProxyProcess } from '../../spec/helpers/proxy-process.js';
import type { FakeApiServer } from '../../spec/helpers/fake-apiserver.js';
import type { NetlinkIpvs } from '../../lib/kernel/ipvs/netlink-ipvs.js';
import { MemorySource } from '../../spec/helpers/memory-source.js';
import { fakeKernel, memoryLogger } from '../../spec/helpers/fake-kernel.js';
import { buildDesiredState } from '../../lib/model/build.js';
import type { ModelConfig } from '../../lib/model/config.js';
import { readSnapshot } from '../../lib/sources/read-objects.js';
import { planSync } from '../../lib/plan/plan.js';
import { operationCount } from '../../lib/plan/operations.js';
import { EMPTY_OBSERVED } from '../../lib/plan/observed-state.js';
import { formatIpvsadmSave } from '../../lib/kernel/ipvs/ipvsadm-format.js';
import { formatIpsetSave } from '../../lib/kernel/ipset/save-format.js';
import { vs } from '../../spec/helpers/ipvs-conformance.js';
import { ProcSysctls, RUN_ESTIMATION } from '../../lib/kernel/sysctl/sysctls.js';

const args = process.argv.slice(2);
const opt = (name: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const quick = args.includes('--quick');
const sizes = (opt('sizes') ?? (quick ? '1000' : '1000,10000,30000')).split(',').map(Number);
const M = Number(opt('endpoints') ?? 10);
// 300 changes, so that a p99 is the third slowest, not one stall of the kernel or the VM
const CHANGES = Number(opt('changes') ?? (quick ? 100 : 300));
const CONFIG: ModelConfig = { scheduler: 'rr', families: [4, 6], nodePortAddresses: ['192.168.100.0/24'], masqueradeAll: false, clusterCidrs: ['10.128.0.0/9'], masqueradeBit: 14 };
const say = (s: string) => process.stderr.write(`${s}\n`);
const r1 = (x: number) => Math.round(x * 10) / 10;
/** A process's resident memory now and its peak so far (VmRSS, VmHWM), in MB. */
function memory(pid: number): { rssMB: number; peakMB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rssMB: Math.round(kb('VmRSS') / 1024), peakMB: Math.round(kb('VmHWM') / 1024) };
}
/**
 * A process's resident memory by kind of mapping, in MB: files (the node binary, libraries),
 * brk (the main thread's malloc), anonymous (V8's heap pages, other threads' malloc arenas,
 * large mallocs), and the few others.
 */
function mappings(pid: number): Record<string, number> {
  const kb: Record<string, number> = { files: 0, brk: 0, anonymous: 0, other: 0 };
  const files = new Map<string, number>();
  let kind = 'other';
  let name = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) { name = head[1]!; kind = name === '' ? 'anonymous' : name === '[heap]' ? 'brk' : name.startsWith('/') ? 'files' : 'other'; continue; }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (!rss) continue;
    kb[kind]! += Number(rss[1]);
    if (kind === 'files') files.set(name, (files.get(name) ?? 0) + Number(rss[1]));
  }
  const out = Object.fromEntries(Object.entries(kb).map(([k, v]) => [k, Math.round(v / 1024)]));
  // the largest files, which are the node binary and its libraries
  for (const [f, v] of [...files].sort((a, b) => b[1] - a[1]).slice(0, 3)) out[f.split('/').pop()!] = Math.round(v / 1024);
  return out;
}

async function pure(): Promise<void> {
  const out = [];
  const node = { name: 'node-a', labels: {}, addresses: [{ address: '192.168.100.1', family: 4 as const, prefixLength: 24, link: 'eth0' }], primaryAddresses: [] };
  for (const n of sizes) {
    const g = generate(n, M);
    let t = performance.now();
    // the model's time includes reading the objects, as it did when the model read them itself
    const desired = buildDesiredState(readSnapshot({ services: g.services, endpointSlices: g.slices }), node, CONFIG);
    const modelMs = performance.now() - t;
    t = performance.now();
    const ops = planSync(desired, EMPTY_OBSERVED, { excludeCidrs: [] });
    const planMs = performance.now() - t;
    // The proxy itself on a fake kernel, fed by an in-memory source: a cold full sync, then
    // endpoint changes, each synced alone (model, plan, apply, problems, health and metrics).
    const kernel = fakeKernel();
    kernel.links.addLink('eth0', 'ether', ['192.168.100.1/24']);
    const { log, lines } = memoryLogger();
    const source = new MemorySource();
    const proxy = new Proxy({ source, kernel, nodeName: 'node-a', primaryAddresses: [], config: CONFIG, planOptions: { excludeCidrs: [] },
      minSyncPeriodMs: 0, syncPeriodMs: 3_600_000, log, metrics: new ProxyMetrics(), health: new HealthState(3_600_000) });
    await proxy.start();
    source.set([...g.services, ...g.slices]);
    const synced = async (from: number) => { for (;;) { const l = lines.slice(from).find((x) => x.msg === 'synced'); if (l) return l; await sleep(0); } };
    const cold = await synced(0);
    if (cold.failed !== 0) throw new Error('cold sync on the fake kernel failed');
    const inc: number[] = [];
    for (let c = 0; c < CHANGES; c++) {
      const i = ((c >> 1) * 7919) % n;
      const from = lines.length;
      t = performance.now();
      source.apply(slice(i, M, c % 2 === 0 ? 1 : 0));
      const l = await synced(from);
      inc.push(performance.now() - t);
      if (l.failed !== 0 || l.operations === 0 || l.full !== false) throw new Error(`incremental sync ${c} did nothing, failed or was full`);
    }
    await proxy.stop();
    const row = { services: n, endpoints: M, virtualServers: desired.virtualServers.length, operations: operationCount(ops), modelMs: r1(modelMs), planFromEmptyMs: r1(planMs), incrementalSyncP50Ms: r1(percentile(inc, 0.5)), incrementalSyncP99Ms: r1(percentile(inc, 0.99)), rssMB: Math.round(process.memoryUsage().rss / 1e6) };
    say(`pure  N=${n}: model ${row.modelMs} ms, plan from empty ${row.planFromEmptyMs} ms (${row.operations} operations), change to fake kernel p50 ${row.incrementalSyncP50Ms} ms, p99 ${row.incrementalSyncP99Ms} ms, RSS ${row.rssMB} MB`);
    out.push(row);
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/**
 * Where one change's time went, from the proxy's log line of the sync that programmed it (both
 * processes read the same clock, to the millisecond): delivery, from the API server's write to
 * the proxy receiving the event (the watch, the proxy's parsing); queued, the wait for the sync
 * loop; sync, the proxy's sync; seen, from the end of the sync to the bench reading the change
 * back from the kernel (its polling every 10 ms, and its own pauses).
 */
interface Part { deliveryMs: number; queuedMs: number; syncMs: number; seenMs: number }
function latencyParts(applied: number, seen: number, log: Record<string, unknown>): Part {
  const ended = Date.parse(String(log.time));
  const syncMs = Number(log.ms);
  const queuedMs = Number(log.queuedMs ?? 0);
  return { deliveryMs: ended - syncMs - queuedMs - applied, queuedMs, syncMs, seenMs: seen - ended };
}

const SETTLE_MS = 10_000;
const METRICS = '127.0.0.1:10259';
const SCRAPES = 10;

/** GET a path of the proxy's metrics address: its time and size. */
async function timedGet(path: string): Promise<{ ms: number; bytes: number; text: string }> {
  const t = performance.now();
  const res = await fetch(`http://${METRICS}${path}`);
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return { ms: performance.now() - t, bytes: Buffer.byteLength(text), text };
}

/**
 * SCRAPES scrapes of /metrics (with the per-Service counters: one IPVS dump each) and one full
 * /status, one after another: their times, sizes, and the proxy's resident memory around them.
 */
async function scrapeCost(pid: number) {
  const before = memory(pid);
  const times: number[] = [];
  let last = { ms: 0, bytes: 0, text: '' };
  for (let i = 0; i < SCRAPES; i++) { last = await timedGet('/metrics'); times.push(last.ms); }
  const series = last.text.split('\n').filter((l) => l.startsWith('ipvs_proxy_service_')).length;
  const afterMetrics = memory(pid);
  const status = await timedGet('/status');
  const after = memory(pid);
  return {
    metrics: { scrapes: SCRAPES, p50Ms: Math.round(percentile(times, 0.5)), maxMs: Math.round(Math.max(...times)), bytes: last.bytes, serviceSeries: series },
    status: { ms: Math.round(status.ms), bytes: status.bytes },
    memory: { rssBeforeMB: before.rssMB, rssAfterScrapesMB: afterMetrics.rssMB, rssAfterStatusMB: after.rssMB, peakGrowthMB: afterMetrics.peakMB - before.peakMB, peakGrowthWithStatusMB: after.peakMB - before.peakMB },
  };
}
/** A full collection in this process, when it runs with --expose-gc. */
const collectGarbage = () => (globalThis as { gc?: () => void }).gc?.();
/** A full collection of the bench's own heap every so many changes, outside the timed window. */
const COLLECT_EVERY = 20;

/**
 * The floor: the kernel tools restoring the same IPVS table and sets from prepared files. The
 * desired state and the files are this function's own, and garbage once it returns.
 */
async function floor(g: Generated, node: NodeFacts, resetKernel: () => Promise<void>, exec: typeof import('../../spec/helpers/exec.js').exec) {
  const desired = buildDesiredState(readSnapshot({ services: g.services, endpointSlices: g.slices }), node, CONFIG);
  const realServers = desired.virtualServers.reduce((a, d) => a + d.realServers.length, 0);
  say(`    ${desired.virtualServers.length} virtual servers, ${realServers} real servers, ${desired.sets.reduce((a, s) => a + s.members.size, 0)} set members`);
  await resetKernel();
  const ipvsadmText = formatIpvsadmSave(desired.virtualServers);
  const ipsetText = formatIpsetSave(desired.sets);
  let t = performance.now();
  const a = await exec('ipvsadm', ['-R'], { input: ipvsadmText });
  const ipvsadmMs = performance.now() - t;
  t = performance.now();
  const b = await exec('ipset', ['restore'], { input: ipsetText });
  const ipsetMs = performance.now() - t;
  // the addresses on kube-ipvs0, as `ip -batch` binds them
  const c0 = await exec('ip', ['link', 'add', 'kube-ipvs0', 'type', 'dummy']);
  t = performance.now();
  const c = await exec('ip', ['-batch', '-'], { input: desired.boundAddresses.map((a) => `address add ${a}/${a.includes(':') ? 128 : 32} dev kube-ipvs0\n`).join('') });
  const ipMs = performance.now() - t;
  if (a.code !== 0 || b.code !== 0 || c0.code !== 0 || c.code !== 0) throw new Error(`floor restore failed: ${a.stderr} ${b.stderr} ${c0.stderr} ${c.stderr}`);
  say(`    floor: ipvsadm -R ${Math.round(ipvsadmMs)} ms + ipset restore ${Math.round(ipsetMs)} ms + ip -batch ${Math.round(ipMs)} ms (${desired.boundAddresses.length} addresses) = ${Math.round(ipvsadmMs + ipsetMs + ipMs)} ms`);
  await resetKernel();
  return { virtualServers: desired.virtualServers.length, realServers, ipvsadmMs, ipsetMs, ipMs };
}

/**
 * CHANGES endpoint changes against n programmed Services, each timed from the API server's write
 * to the bench reading the change back from the kernel; the slowest are printed with where their
 * time went.
 */
async function measureChanges(label: string, n: number, proxy: ProxyProcess, api: FakeApiServer, ipvs: NetlinkIpvs, pauseMs = 0) {
  const { until } = await import('../../spec/helpers/proxy-process.js');
  const lat: number[] = [];
  const syncLogs: Array<Record<string, unknown>> = [];
  const parts: Part[] = [];
  const gcMs: number[] = [];
  const startedAt: number[] = [];
  const cpu: CpuSpent[] = [];
  // the bench's own collections during each change (its API server and polling share the VM's CPUs)
  const gc = new GcTime();
  for (let c = 0; c < CHANGES; c++) {
    // the bench's heap (the API server's objects) would otherwise be collected, on both
    // CPUs, at a time of V8's choosing: inside some change's timed window
    if (c % COLLECT_EVERY === 0) { collectGarbage(); await sleep(100); }
    if (pauseMs > 0) await sleep(pauseMs * (0.5 + Math.random()));
    const i = ((c >> 1) * 7919) % n;
    const add = c % 2 === 0;
    const { vip, endpoint } = changeTarget(i, M);
    const from = proxy.logs.length;
    const applied = Date.now();
    const gcBefore = gc.ms;
    const cpuBefore = sampleCpu(proxy.pid);
    const t = performance.now();
    api.apply(slice(i, M, add ? 1 : 0));
    await until(async () => (await ipvs.listRealServers(vs({ address: vip, port: 80 }))).some((r) => r.address === endpoint) === add, 60_000, `change ${c}`);
    lat.push(performance.now() - t);
    startedAt.push(t - proxy.spawnedAt);
    cpu.push(cpuSpent(cpuBefore, sampleCpu(proxy.pid)));
    gcMs.push(Math.round(gc.ms - gcBefore));
    const seen = Date.now();
    const log = await proxy.waitForLog((l) => l.msg === 'synced', 60_000, from);
    syncLogs.push(log);
    parts.push(latencyParts(applied, seen, log));
  }
  gc.stop();
  // the proxy's major collections (its --trace-gc), and which changes fell in one
  const gcs = majorGcs(proxy.stdout);
  const inGc = lat.map((ms, c) => inMajorGc(gcs, startedAt[c]!, startedAt[c]! + ms));
  const syncMs = syncLogs.map((l) => l.ms as number);
  // the slowest changes, split into where their time went (see latencyParts)
  const slowest = lat.map((ms, c) => ({ c, ms: Math.round(ms), log: syncLogs[c]!, part: parts[c]! })).sort((a, b) => b.ms - a.ms).slice(0, 3);
  for (const s of slowest) say(`    ${label}: slow change #${s.c}, ${(startedAt[s.c]! / 1000).toFixed(1)} s after the proxy started: ${s.ms} ms = ${JSON.stringify(s.part)}; sync phases ${JSON.stringify(s.log.phasesMs)}, reads ${JSON.stringify(s.log.readMs)}; GC in the proxy's sync ${String(s.log.gcMs)} ms, in the bench during the change ${gcMs[s.c]} ms; CPU (ms) ${JSON.stringify(cpu[s.c])}${inGc[s.c] ? '; during a major collection of the proxy' : ''}`);
  // Where the CPU went in the slowest 5% of changes against the faster half: more estimation, more
  // of the rest of the VM, idle VM CPUs with the host's hypervisor stealing (the host's time).
  const byLatency = lat.map((ms, c) => ({ ms, c })).sort((a, b) => a.ms - b.ms);
  const cpuOf = (xs: typeof byLatency) => ({ ms: Math.round(xs.reduce((a, x) => a + x.ms, 0) / Math.max(1, xs.length)), inMajorGc: xs.filter((x) => inGc[x.c]).length, of: xs.length, ...meanSpent(xs.map((x) => cpu[x.c]!)) });
  const cpuSlow = cpuOf(byLatency.slice(Math.floor(byLatency.length * 0.95)));
  const cpuFast = cpuOf(byLatency.slice(0, Math.ceil(byLatency.length / 2)));
  const during = lat.filter((_, c) => inGc[c]);
  say(`    ${label}: ${during.length} of ${CHANGES} changes fell in one of the proxy's major collections (${gcs.length} major of ${proxy.stdout.filter((l) => / ms: (Scavenge|Mark-Compact|Minor)/.test(l)).length} collections traced since it started): p50 ${Math.round(percentile(during, 0.5))} ms, max ${Math.round(Math.max(0, ...during))} ms; the others' max ${Math.round(Math.max(0, ...lat.filter((_, c) => !inGc[c])))} ms`);
  say(`    ${label}: CPU per change, mean (ms): slowest 5% ${JSON.stringify(cpuSlow)}; faster half ${JSON.stringify(cpuFast)}`);
  say(`    ${label}: changes with the bench's own GC in them: ${gcMs.filter((x) => x > 0).length}, at most ${Math.max(...gcMs)} ms`);
  const partP99 = Object.fromEntries((Object.keys(parts[0] ?? {}) as Array<keyof Part>).map((k) => [k, Math.round(percentile(parts.map((p) => p[k]), 0.99))]));
  say(`    ${label}: p99 of each part of a change (ms): ${JSON.stringify(partP99)}`);
  const r = { p50: Math.round(percentile(lat, 0.5)), p99: Math.round(percentile(lat, 0.99)), max: Math.round(Math.max(...lat)), partP99, inMajorGc: during.length, maxOutsideMajorGc: Math.round(Math.max(0, ...lat.filter((_, c) => !inGc[c]))), cpuSlow, cpuFast, syncP50: percentile(syncMs, 0.5), syncP99: percentile(syncMs, 0.99) };
  say(`    ${label}: incremental (${CHANGES} changes): event to kernel p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms; sync p50 ${r.syncP50} ms, p99 ${r.syncP99} ms`);
  return r;
}

/**
 * The proxy restarted with the default periods (--min-sync-period 1s, --sync-period 30s) on the
 * kernel the first one programmed, as a rollout restarts it: its start until the first sync is
 * done, then CHANGES changes spread over several resync periods (one every ~1.5 s), so that some
 * arrive while a full resync runs.
 */
async function withDefaultPeriods(n: number, api: FakeApiServer, ipvs: NetlinkIpvs, kubeconfig: string) {
  const { ProxyProcess } = await import('../../spec/helpers/proxy-process.js');
  const proxy = new ProxyProcess(['run', '--kubeconfig', kubeconfig, '--node-name', 'node-a', '--cluster-cidr', '10.128.0.0/9',
    '--nodeport-addresses', '192.168.100.0/24', '--healthz-bind-address', '', '--metrics-bind-address', ''], '--trace-gc');
  try {
    await proxy.waitForLog(() => true, 600_000);
    const firstLogMs = Math.round(performance.now() - proxy.spawnedAt);
    const first = await proxy.waitForLog((l) => l.msg === 'synced', 3_600_000);
    const restartMs = Math.round(performance.now() - proxy.spawnedAt);
    say(`    restart with the default periods: first log line after ${firstLogMs} ms, the kernel checked and in sync after ${restartMs} ms (${String(first.operations)} operations; phases ${JSON.stringify(first.phasesMs)})`);
    const changes = await measureChanges('default periods', n, proxy, api, ipvs, 1500);
    const resyncs = proxy.logs.filter((l) => l.msg === 'synced' && l.reason === 'periodic');
    say(`    default periods: ${resyncs.length} periodic resyncs ran during the changes; their turns ${resyncs.map((l) => l.ms).join(', ')} ms, beside changes their reads ${resyncs.map((l) => l.resyncReadMs).join(', ')} ms and comparisons ${resyncs.map((l) => l.resyncCheckMs).join(', ')} ms`);
    return { firstLogMs, restartMs, changes, periodicResyncs: resyncs.length, periodicResyncMs: resyncs.map((l) => l.ms as number) };
  } finally {
    await proxy.stop();
  }
}

/**
 * Where the memory of a start goes, as peak RSS (MB) of the same Node and flags as bin/ipvs-proxy:
 * Node alone, Node with the program's main bundle (--version), and with every module of it
 * including the API client (the build's compile-cache warm-up loads them all).
 */
async function loadMemory() {
  const { exec } = await import('../../spec/helpers/exec.js');
  const bin = new URL('../../bin/ipvs-proxy', import.meta.url).pathname;
  const peak = async (env: Record<string, string>, ...args: string[]) => {
    const r = await exec('/usr/bin/time', ['-f', '%M', ...args], { env: { ...process.env, ...env } });
    return Math.round(Number(r.stderr.trim().split('\n').pop()) / 1024);
  };
  return {
    node: await peak({}, process.execPath, '--max-semi-space-size=4', '--heap-growing-percent=10', '-e', '0'),
    program: await peak({}, bin, '--version'),
    programWithApiClient: await peak({ IPVS_PROXY_WARM_CACHE: '1' }, bin),
  };
}

async function inVm(): Promise<void> {
  const { resetKernel } = await import('../../spec/helpers/real-kernel.js');
  const { exec, run } = await import('../../spec/helpers/exec.js');
  const { FakeApiServer } = await import('../../spec/helpers/fake-apiserver.js');
  const { ProxyProcess, until } = await import('../../spec/helpers/proxy-process.js');
  const { NetlinkIpvs } = await import('../../lib/kernel/ipvs/netlink-ipvs.js');
  const { RtnetlinkLinks } = await import('../../lib/kernel/links/rtnetlink-links.js');
  const results = [];
  await resetKernel();
  await exec('ip', ['link', 'del', 'bench0']);
  await run('ip', 'link', 'add', 'bench0', 'type', 'dummy');
  await run('ip', 'addr', 'add', '192.168.100.1/24', 'dev', 'bench0');
  const ipvs = await NetlinkIpvs.open();
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  try {
    for (const n of sizes) {
      say(`--- N=${n} services × ${M} endpoints`);
      let g: Generated | undefined = generate(n, M);
      const links = new RtnetlinkLinks();
      const node = { name: 'node-a', labels: {}, addresses: await links.listLocalAddresses(), primaryAddresses: [] };
      links.close();
      const { virtualServers, realServers, ipvsadmMs, ipsetMs, ipMs } = await floor(g, node, resetKernel, exec);
      const floorMs = ipvsadmMs + ipsetMs + ipMs;
      // what the bench process itself holds must not slow what it measures (its own GC pauses)
      collectGarbage();

      const api = new FakeApiServer();
      const url = await api.start();
      for (const o of [...g.services, ...g.slices]) api.apply(o);
      // the API server keeps them as text; the bench keeps nothing more of them
      g = undefined;
      collectGarbage();
      const proxy = new ProxyProcess(['run', '--kubeconfig', api.kubeconfig(join(dir, `kc-${n}`), url), '--node-name', 'node-a', '--cluster-cidr', '10.128.0.0/9',
        '--nodeport-addresses', '192.168.100.0/24', '--min-sync-period', '0s', '--sync-period', '1h', '--healthz-bind-address', '', '--metrics-bind-address', METRICS, '--service-traffic-metrics'], '--trace-gc');
      try {
        const spawned = proxy.spawnedAt;
        await proxy.waitForLog(() => true, 600_000);
        const firstLogMs = Math.round(performance.now() - spawned);
        const cold = await proxy.waitForLog((l) => l.msg === 'synced', 3_600_000);
        const coldWallMs = performance.now() - spawned;
        const applyMs = (cold.phasesMs as Record<string, number>).apply!;
        say(`    start: first log line ${firstLogMs} ms after the process started; fully programmed after ${Math.round(coldWallMs)} ms, ${r1(coldWallMs / floorMs)}× the floor; the cold sync's apply ${applyMs} ms against ipvsadm -R ${Math.round(ipvsadmMs)} ms (${r1(applyMs / ipvsadmMs)}×) and the whole floor ${Math.round(floorMs)} ms`);
        const coldSyncMs = cold.ms as number;
        const programmed = (await ipvs.listVirtualServers()).length;
        let t: number;
        const memAfterCold = memory(proxy.pid);
        const mappingsAfterCold = mappings(proxy.pid);
        say(`    cold sync phases ${JSON.stringify(cold.phasesMs)}, its apply by kind of operation (ms) ${JSON.stringify(cold.applyMs)}; memory after it (MB) ${JSON.stringify(cold.memoryMB)}, resident by mapping ${JSON.stringify(mappingsAfterCold)}`);
        say(`    cold sync ${coldSyncMs} ms (${String(cold.operations)} operations; ${Math.round(coldWallMs)} ms from process start); ${programmed}/${virtualServers} virtual servers in the kernel`);

        // Changes are measured in steady state: after the cold sync, the proxy's collector and
        // compiler finish their work first (the first change right after it took 2-5 times longer).
        // That first change is measured on its own, before the settle time.
        const firstFrom = proxy.logs.length;
        const first = changeTarget(0, M);
        t = performance.now();
        api.apply(slice(0, M, 1));
        await until(async () => (await ipvs.listRealServers(vs({ address: first.vip, port: 80 }))).some((r) => r.address === first.endpoint), 60_000, 'first change');
        const firstChangeMs = Math.round(performance.now() - t);
        await proxy.waitForLog((l) => l.msg === 'synced', 60_000, firstFrom);
        api.apply(slice(0, M));
        await sleep(SETTLE_MS);
        collectGarbage();
        say(`    first change after the cold sync: ${firstChangeMs} ms; then ${SETTLE_MS / 1000} s to settle`);
        // The changes as the node's kernel has rate estimation (on, by default), then again with
        // it off (--ipvs-run-estimation=off): before 6.2 the estimation timer blocks IPVS updates
        // for a time that grows with the number of virtual and real servers.
        const inc = await measureChanges('estimation as the kernel has it', n, proxy, api, ipvs);
        const sysctls = new ProcSysctls();
        const estimationWas = (await sysctls.read(RUN_ESTIMATION)).trim();
        let incOff: Awaited<ReturnType<typeof measureChanges>>;
        try {
          await sysctls.write(RUN_ESTIMATION, '0');
          incOff = await measureChanges('estimation off', n, proxy, api, ipvs);
        } finally {
          await sysctls.write(RUN_ESTIMATION, estimationWas);
        }
        const memAfterChanges = memory(proxy.pid);

        const from = proxy.logs.length;
        const signalled = performance.now();
        proxy.signal('SIGUSR1');
        const idle = await proxy.waitForLog((l) => l.msg === 'synced' && l.reason === 'periodic', 3_600_000, from);
        // the resync's read runs before its turn (beside change syncs): its time is the whole, from the signal
        const idleMs = Math.round(performance.now() - signalled);
        say(`    idle full resync ${idleMs} ms from the signal, of which its turn ${idle.ms as number} ms, its read beforehand ${String(idle.resyncReadMs)} ms and its comparison with the model ${String(idle.resyncCheckMs)} ms (${String(idle.operations)} operations; phases ${JSON.stringify(idle.phasesMs)}; reads ${JSON.stringify(idle.readMs)}; memory after it (MB) ${JSON.stringify(idle.memoryMB)})`);
        const memAfterIdle = memory(proxy.pid);
        say(`    resident by mapping after the idle resync (MB) ${JSON.stringify(mappings(proxy.pid))}`);
        const rssMB = memAfterIdle.peakMB;
        say(`    peak RSS ${rssMB} MB; RSS (peak so far) after the cold sync ${memAfterCold.rssMB} (${memAfterCold.peakMB}) MB, after the changes ${memAfterChanges.rssMB} (${memAfterChanges.peakMB}) MB, after the idle resync ${memAfterIdle.rssMB} MB`);
        // after the peak above is taken: what a Prometheus scrape of the per-Service counters and a status report cost
        const scrape = await scrapeCost(proxy.pid);
        say(`    scrape of /metrics with --service-traffic-metrics: ${JSON.stringify(scrape.metrics)}; /status: ${JSON.stringify(scrape.status)}; memory (MB) ${JSON.stringify(scrape.memory)}`);
        await proxy.stop();
        const defaults = await withDefaultPeriods(n, api, ipvs, api.kubeconfig(join(dir, `kc-${n}-defaults`), url));
        const load = n === sizes[0] ? await loadMemory() : undefined;
        if (load) say(`    memory of loading the program, peak RSS (MB): ${JSON.stringify(load)}`);
        results.push({
          kernel: release(), changes: CHANGES, services: n, endpoints: M, coldSyncMs, floorMs: Math.round(floorMs), coldSyncRatioToFloor: Math.round((coldSyncMs / floorMs) * 100) / 100,
          incrementalP50Ms: inc.p50, incrementalP99Ms: inc.p99, incrementalP99EstimationOffMs: incOff.p99, idleResyncMs: idleMs, idleResyncTurnMs: idle.ms as number, rssMB,
          scrapeP50Ms: scrape.metrics.p50Ms, scrapeMaxMs: scrape.metrics.maxMs, scrapePeakGrowthMB: scrape.memory.peakGrowthMB,
          firstLogMs, programmedMs: Math.round(coldWallMs), programmedRatioToFloor: r1(coldWallMs / floorMs), applyMs, ipvsadmMs: Math.round(ipvsadmMs), applyRatioToIpvsadm: r1(applyMs / ipvsadmMs),
          defaultsP50Ms: defaults.changes.p50, defaultsP99Ms: defaults.changes.p99, restartMs: defaults.restartMs, restartFirstLogMs: defaults.firstLogMs,
          detail: { scrape, load, defaults, memoryAfterCold: cold.memoryMB, mappingsAfterCold, ipMs: Math.round(ipMs), virtualServers, realServers, firstChangeMs, coldWallMs: Math.round(coldWallMs), ipsetMs: Math.round(ipsetMs),
            incrementalMaxMs: inc.max, incrementalPartsP99Ms: inc.partP99, incrementalCpuSlowestMs: inc.cpuSlow, incrementalCpuFasterHalfMs: inc.cpuFast, incrementalInMajorGc: inc.inMajorGc, incrementalMaxOutsideMajorGcMs: inc.maxOutsideMajorGc, incrementalSyncP50Ms: inc.syncP50, incrementalSyncP99Ms: inc.syncP99,
            estimationOff: { incrementalP50Ms: incOff.p50, incrementalMaxMs: incOff.max, incrementalPartsP99Ms: incOff.partP99, incrementalCpuSlowestMs: incOff.cpuSlow, incrementalCpuFasterHalfMs: incOff.cpuFast, incrementalInMajorGc: incOff.inMajorGc, incrementalMaxOutsideMajorGcMs: incOff.maxOutsideMajorGc, incrementalSyncP50Ms: incOff.syncP50, incrementalSyncP99Ms: incOff.syncP99 }, memAfterCold, memAfterChanges, memAfterIdle, coldPhasesMs: cold.phasesMs, coldApplyMs: cold.applyMs, idlePhasesMs: idle.phasesMs, idleReadMs: idle.readMs },
        });
      } finally {
        await proxy.stop();
        await api.stop();
        await resetKernel();
      }
    }
  } finally {
    ipvs.close();
    await exec('ip', ['link', 'del', 'bench0']);
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

(args.includes('--pure') ? pure() : inVm()).then(() => process.exit(0), (e: Error) => { say(`bench failed: ${e.stack ?? e.message}`); process.exit(1); });
