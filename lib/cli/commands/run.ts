// `ipvs-proxy run` (the default command): the proxy itself. Programs the kernel from the API
// server (or --objects FILE), keeps it in sync, serves health and metrics. SIGTERM stops syncing
// and leaves the kernel state in place, so traffic keeps flowing across restarts.
import { availableParallelism, release } from 'node:os';
import type { Server } from 'node:http';
import { command } from '../command.js';
import { option } from '../options.js';
import { MODEL_OPTIONS, NODE_IP_OPTION, OBJECTS_OPTION, modelConfigFrom, nodeNameFrom } from '../options-model.js';
import { canonicalIp } from '../../net/address.js';
import { openKernelOrLog } from '../../sync/open-kernel.js';
import { runCleanup } from './cleanup.js';
import { ProcSysctls, desiredSysctls, ensureSysctls } from '../../kernel/sysctl/sysctls.js';
import { FileSource } from '../../sources/file-source.js';
import type { Source } from '../../sources/source.js';
import { HealthState, healthHandler, metricsHandler } from '../../runner/health.js';
import { closeServer, listen, parseBindAddress } from '../../runner/http.js';
import { ProxyMetrics } from '../../runner/metrics.js';
import { Proxy } from '../../runner/proxy.js';
import { ServiceHealthServers } from '../../runner/service-health.js';
import { VERSION } from '../../version.js';
import { NO_EVENTS, type EventRecorder } from '../../sources/events.js';

const secs = (ms: number) => Math.round(ms / 1000);

/** The API source's modules, loaded only when needed: the API client is two thirds of the program. */
export const loadApiSource = () => Promise.all([import('../../sources/kube-source.js'), import('../../sources/api-endpoint.js'), import('../../sources/api-events.js')]);
const bindCheck = (v: string) => { if (v !== '') parseBindAddress(v); };

/** Shared with status and explain, which ask the running proxy there. */
export const METRICS_BIND_OPTION = option({ key: 'metricsBindAddress', flag: 'metrics-bind-address', doc: 'host:port of /metrics and /status ("" disables)', type: 'string', default: '127.0.0.1:10249', check: bindCheck, meta: 'ADDR' });

export const RUN_OPTIONS = [
  OBJECTS_OPTION,
  option({ key: 'kubeconfig', flag: 'kubeconfig', doc: "kubeconfig file, e.g. kubeadm's kube-proxy kubeconfig.conf (default: --master with the pod's service-account credentials)", type: 'string', default: '', env: 'KUBECONFIG', meta: 'FILE' }),
  option({ key: 'master', flag: 'master', doc: "the control-plane endpoint (https://HOST:PORT), reached without Service routing; used with the pod's service-account token and CA, or in place of the kubeconfig's server. Without it the proxy uses the kubernetes Service's ClusterIP, which a node that just booted cannot reach", type: 'string', default: '', env: 'IPVS_PROXY_MASTER', meta: 'URL' }),
  NODE_IP_OPTION,
  option({ key: 'minSyncPeriod', flag: 'min-sync-period', aliases: ['ipvs-min-sync-period'], doc: 'changes are applied at most this often', type: 'duration', default: 1000, meta: 'DURATION' }),
  option({ key: 'syncPeriod', flag: 'sync-period', aliases: ['ipvs-sync-period'], doc: 'full resync interval (repairs changes made behind our back)', type: 'duration', default: 30_000, meta: 'DURATION',
    check: (v) => { if (v < 1000) throw new Error('must be at least 1s'); } }),
  option({ key: 'healthzBindAddress', flag: 'healthz-bind-address', doc: 'host:port of /healthz and /livez ("" disables)', type: 'string', default: '0.0.0.0:10256', check: bindCheck, meta: 'ADDR' }),
  METRICS_BIND_OPTION,
  option({ key: 'gracefulTerminationTimeout', flag: 'graceful-termination-timeout', doc: 'how long a TCP endpoint that vanished without a terminating phase may drain its open connections at weight 0',
    type: 'duration', default: 15 * 60_000, meta: 'DURATION' }),
  option({ key: 'strictArp', flag: 'strict-arp', aliases: ['ipvs-strict-arp'], doc: 'do not answer ARP for addresses on kube-ipvs0 (arp_ignore=1, arp_announce=2)', type: 'boolean', default: false }),
  option({ key: 'ipvsRunEstimation', flag: 'ipvs-run-estimation', doc: 'IPVS rate estimation (net.ipv4.vs.run_estimation): "off" stops kernels before 6.2 from walking every virtual and real server every 2 s with IPVS updates blocked (up to ~200 ms at 30,000 Services); only the rates of ipvsadm --rate are lost. "keep": leave as is',
    type: 'string', default: 'keep', choices: ['keep', 'on', 'off'], meta: 'keep|on|off' }),
  option({ key: 'ipvsTcpTimeout', flag: 'ipvs-tcp-timeout', doc: 'IPVS timeout of idle TCP connections (0: leave as is)', type: 'duration', default: 0, meta: 'DURATION' }),
  option({ key: 'ipvsTcpFinTimeout', flag: 'ipvs-tcpfin-timeout', doc: 'IPVS timeout of TCP connections after FIN (0: leave as is)', type: 'duration', default: 0, meta: 'DURATION' }),
  option({ key: 'ipvsUdpTimeout', flag: 'ipvs-udp-timeout', doc: 'IPVS timeout of UDP flows (0: leave as is)', type: 'duration', default: 0, meta: 'DURATION' }),
  option({ key: 'conntrackMaxPerCore', flag: 'conntrack-max-per-core', doc: 'conntrack entries per CPU (0: leave nf_conntrack_max as is)', type: 'integer', default: 32768, meta: 'N' }),
  option({ key: 'conntrackMin', flag: 'conntrack-min', doc: 'at least this many conntrack entries', type: 'integer', default: 131072, meta: 'N' }),
  option({ key: 'conntrackTcpEstablishedTimeout', flag: 'conntrack-tcp-timeout-established', doc: 'conntrack timeout of idle established TCP (0: leave as is)', type: 'duration', default: 86_400_000, meta: 'DURATION' }),
  option({ key: 'conntrackTcpCloseWaitTimeout', flag: 'conntrack-tcp-timeout-close-wait', doc: 'conntrack timeout of TCP in CLOSE_WAIT (0: leave as is)', type: 'duration', default: 3_600_000, meta: 'DURATION' }),
  option({ key: 'proxyMode', flag: 'proxy-mode', doc: "accepted for kube-proxy's command line; only ipvs", type: 'string', default: 'ipvs', choices: ['ipvs'], meta: 'MODE' }),
  option({ key: 'cleanup', flag: 'cleanup', doc: "remove the node's service-proxy state and exit (kube-proxy's --cleanup; same as the cleanup command)", type: 'boolean', default: false }),
  option({ key: 'serviceTrafficMetrics', flag: 'service-traffic-metrics', doc: 'serve per-Service connection, packet and byte counters from IPVS on /metrics (one IPVS dump per scrape)', type: 'boolean', default: false }),
  option({ key: 'once', flag: 'once', doc: 'sync once and exit (status 1 if the sync failed)', type: 'boolean', default: false }),
  ...MODEL_OPTIONS,
  option({ key: 'dryRun', flag: 'dry-run', doc: 'with --cleanup: print what would be removed', type: 'boolean', default: false }),
] as const;

export const runCommand = command({
  name: 'run',
  summary: 'run the proxy (the default command)',
  options: RUN_OPTIONS,
  run: async (ctx) => {
    const { settings, log } = ctx;
    if (settings.cleanup) return runCleanup(ctx);
    const nodeName = nodeNameFrom(settings);
    const once = settings.once;
    const syncPeriodMs = settings.syncPeriod;
    log.info({ version: VERSION, node: nodeName, source: settings.objects ? `file ${settings.objects}` : 'API server' }, 'ipvs-proxy starting');
    // the API client loads while the kernel is opened and set up (those wait on child processes)
    const apiModules = settings.objects ? undefined : loadApiSource();
    apiModules?.catch(() => undefined);

    const kernel = await openKernelOrLog(log);
    if (!kernel) return 1;
    const { ipvs } = kernel;
    log.info({ backend: kernel.iptables.backend }, 'iptables backend');
    try {
      const perCore = settings.conntrackMaxPerCore;
      await ensureSysctls(new ProcSysctls(), desiredSysctls({
        strictArp: settings.strictArp, kernelRelease: release(), runEstimation: settings.ipvsRunEstimation,
        conntrack: {
          max: perCore > 0 ? Math.max(perCore * availableParallelism(), settings.conntrackMin) : 0,
          tcpEstablishedSeconds: secs(settings.conntrackTcpEstablishedTimeout),
          tcpCloseWaitSeconds: secs(settings.conntrackTcpCloseWaitTimeout),
        },
      }), log);
    } catch (e) {
      log.error({ err: (e as Error).message }, 'cannot set the IPVS sysctls; continuing');
    }

    const timeouts = { tcp: secs(settings.ipvsTcpTimeout), tcpFin: secs(settings.ipvsTcpFinTimeout), udp: secs(settings.ipvsUdpTimeout) };
    if (timeouts.tcp || timeouts.tcpFin || timeouts.udp) {
      try {
        await ipvs.setTimeouts(timeouts);
        log.info(timeouts, 'IPVS timeouts set');
      } catch (e) {
        log.error({ err: (e as Error).message }, 'cannot set the IPVS timeouts; continuing');
      }
    }

    let source: Source;
    let events: EventRecorder = NO_EVENTS;
    try {
      if (settings.objects) source = new FileSource(settings.objects, log, nodeName);
      else {
        const [{ KubeSource }, { apiEndpoint }, { ApiEventRecorder }] = await apiModules!;
        const api = apiEndpoint({ kubeconfig: settings.kubeconfig, master: settings.master });
        log.info({ apiServer: api.server, from: api.origin }, 'API server');
        if (api.origin === 'in-cluster') log.warn({ apiServer: api.server, fix: api.fix }, 'the API server is reached through Service routing');
        source = new KubeSource(api, nodeName, log);
        events = new ApiEventRecorder(api.kubeConfig, `ipvs-proxy-${nodeName}`, log);
        // kube-proxy's own Event at start (its uid is the node name, as kube-proxy's)
        events.record({ regarding: { kind: 'Node', apiVersion: 'v1', name: nodeName, uid: nodeName }, type: 'Normal', reason: 'Starting', action: 'StartKubeProxy', note: '' });
      }
    } catch (e) {
      log.fatal({ err: (e as Error).message }, 'no source of Services');
      kernel.close();
      return 1;
    }
    const metrics = new ProxyMetrics();
    // the Node's eligibility as last seen (a Node object gone keeps what it said last, as upstream)
    let eligible = true;
    const nodeEligible = () => (eligible = source.node()?.eligible ?? eligible);
    const health = new HealthState(syncPeriodMs, Date.now, () => source.problem?.(), nodeEligible);
    const proxy = new Proxy({
      source, kernel, nodeName, metrics, health, log,
      primaryAddresses: settings.nodeIp.map((a) => canonicalIp(a)!),
      config: modelConfigFrom(settings),
      planOptions: { excludeCidrs: settings.excludeCidrs },
      minSyncPeriodMs: settings.minSyncPeriod,
      syncPeriodMs,
      serviceHealth: once ? undefined : new ServiceHealthServers(log),
      gracefulTerminationMs: settings.gracefulTerminationTimeout,
      events,
    });
    if (settings.serviceTrafficMetrics) metrics.enableServiceTraffic(() => proxy.serviceTraffic());
    const close = () => kernel.close();

    if (once) {
      await proxy.start({ once: true });
      const ok = proxy.synced() && await proxy.syncNow();
      if (!proxy.synced()) log.error('the objects could not be read completely; nothing was synced');
      await proxy.stop();
      close();
      return ok ? 0 : 1;
    }

    const servers: Server[] = [];
    try {
      if (settings.healthzBindAddress) servers.push(await listen(parseBindAddress(settings.healthzBindAddress), healthHandler(health)));
      if (settings.metricsBindAddress) servers.push(await listen(parseBindAddress(settings.metricsBindAddress), metricsHandler(metrics, (f) => proxy.status(f))));
    } catch (e) {
      log.fatal({ err: (e as Error).message }, 'cannot listen for health or metrics');
      for (const s of servers) await closeServer(s);
      close();
      return 1;
    }
    const stopped = new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    // SIGUSR1: a full resync now (reads everything back from the kernel), e.g. after manual changes.
    const onUsr1 = () => { log.info('SIGUSR1: full resync'); proxy.resync(); };
    process.on('SIGUSR1', onUsr1);
    await proxy.start();
    const signal = await stopped;
    process.off('SIGUSR1', onUsr1);
    log.info({ signal }, 'stopping; the kernel state stays in place');
    await proxy.stop();
    for (const s of servers) await closeServer(s);
    close();
    return 0;
  },
});
