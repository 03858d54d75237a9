// kube-proxy compatibility: a KubeProxyConfiguration file and kube-proxy's flag names give the same
// settings as ipvs-proxy's own flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, configFile } from '../helpers/cli.js';

const FIXTURE = 'spec/fixtures/kube-proxy-config.yaml';
const warnings = (err: string) => err.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { msg: string }).msg);

test('a kubeadm KubeProxyConfiguration (IPVS mode) gives the same effective settings as the equivalent flags', async () => {
  const fromFile = await cli(['show-config', '--config', FIXTURE]);
  assert.equal(fromFile.code, 0, fromFile.err);
  assert.deepEqual(warnings(fromFile.err), [], 'every field of a real file is either used or knowingly ignored');
  const fromFlags = await cli(['show-config', '--scheduler', 'lc', '--node-name', 'node-a', '--kubeconfig', '/var/lib/kube-proxy/kubeconfig.conf',
    '--cluster-cidr', '10.244.0.0/16,fd00:10:244::/56', '--metrics-bind-address', '0.0.0.0:10249', '--nodeport-addresses', '192.168.0.0/16',
    '--masquerade-bit', '14', '--sync-period', '45s', '--min-sync-period', '2s', '--exclude-cidrs', '192.0.2.0/24', '--strict-arp',
    '--ipvs-tcp-timeout', '15m', '--ipvs-udp-timeout', '5m', '--conntrack-max-per-core', '65536', '--conntrack-min', '131072',
    '--conntrack-tcp-timeout-established', '24h', '--conntrack-tcp-timeout-close-wait', '1h']);
  assert.equal(fromFlags.code, 0, fromFlags.err);
  assert.equal(fromFile.out, fromFlags.out);
  assert.match(fromFile.out, /^scheduler: lc$/m);
  assert.match(fromFile.out, /^syncPeriod: 45s$/m);
  assert.match(fromFile.out, /^healthzBindAddress: 0\.0\.0\.0:10256$/m, 'an empty healthzBindAddress means the default, as in kube-proxy');
});

test("kube-proxy's flag names are accepted: --ipvs-scheduler, --ipvs-sync-period, --ipvs-min-sync-period, --ipvs-exclude-cidrs, --ipvs-strict-arp, --hostname-override, --proxy-mode=ipvs", async () => {
  const a = await cli(['show-config', '--ipvs-scheduler', 'sh', '--ipvs-sync-period', '1m', '--ipvs-min-sync-period', '5s', '--ipvs-exclude-cidrs', '192.0.2.0/24',
    '--ipvs-strict-arp', '--hostname-override', 'n1', '--proxy-mode', 'ipvs', '--masquerade-all', '--cluster-cidr', '10.0.0.0/8', '--nodeport-addresses', 'primary']);
  const b = await cli(['show-config', '--scheduler', 'sh', '--sync-period', '60s', '--min-sync-period', '5s', '--exclude-cidrs', '192.0.2.0/24',
    '--strict-arp', '--node-name', 'n1', '--masquerade-all', '--cluster-cidr', '10.0.0.0/8', '--nodeport-addresses', 'primary']);
  assert.equal(a.code, 0, a.err);
  assert.equal(a.out, b.out);
  const iptablesMode = await cli(['show-config', '--proxy-mode', 'iptables']);
  assert.equal(iptablesMode.code, 2);
  assert.match(iptablesMode.err, /--proxy-mode: "iptables" is not one of ipvs/);
});

test('KubeProxyConfiguration: fields that do not apply are warnings; invalid values are errors with the field path', async () => {
  const other = configFile('kp.yaml', 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: iptables\ndetectLocalMode: InterfaceNamePrefix\ndetectLocal: {interfaceNamePrefix: veth}\nfoo: {bar: 1}\n');
  const r = await cli(['show-config', '--config', other]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(warnings(r.err), [
    'configuration file: mode: "iptables" does not apply: ipvs-proxy always programs IPVS',
    'configuration file: foo.bar: not used by ipvs-proxy',
  ]);
  assert.match(r.out, /^detectLocalMode: InterfaceNamePrefix$/m, 'detectLocalMode is mapped, not a warning');
  assert.match(r.out, /^podInterfaceNamePrefix: veth$/m);
  const bridge = configFile('kp.yaml', 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\ndetectLocalMode: BridgeInterface\ndetectLocal: {bridgeInterface: cbr0}\n');
  assert.match((await cli(['show-config', '--config', bridge])).out, /^podBridgeInterface: cbr0$/m);
  const noBridge = await cli(['plan', '--objects', 'examples/cluster.yaml', '--node-ip', '192.168.1.10', '--detect-local-mode', 'BridgeInterface']);
  assert.equal(noBridge.code, 2);
  assert.match(noBridge.err, /--detect-local-mode BridgeInterface needs --pod-bridge-interface/);
  const byBridge = await cli(['plan', '--objects', 'examples/cluster.yaml', '--node-ip', '192.168.1.10', '--format', 'iptables', '--detect-local-mode', 'BridgeInterface', '--pod-bridge-interface', 'cbr0']);
  assert.equal(byBridge.code, 0, byBridge.err);
  assert.match(byBridge.out, /^-A KUBE-SERVICES ! -i cbr0 -m comment --comment "Kubernetes service cluster ip \+ port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ$/m);
  const bad = configFile('kp.yaml', 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nipvs: {scheduler: fastest}\n');
  const r2 = await cli(['show-config', '--config', bad]);
  assert.equal(r2.code, 2);
  assert.match(r2.err, /ipvs\.scheduler: "fastest" is not one of rr, wrr/);
  const badDuration = configFile('kp.yaml', 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nipvs: {syncPeriod: soon}\n');
  assert.match((await cli(['show-config', '--config', badDuration])).err, /ipvs\.syncPeriod: invalid duration "soon"/);
  const version = configFile('kp.yaml', 'apiVersion: kubeproxy.config.k8s.io/v1beta9\nkind: KubeProxyConfiguration\n');
  assert.match((await cli(['show-config', '--config', version])).err, /apiVersion: expected kubeproxy.config.k8s.io\/v1alpha1/);
});

test("ipvs-proxy's own configuration file accepts durations as text, as show-config prints them", async () => {
  const own = configFile('own.yaml', 'syncPeriod: 45s\nminSyncPeriod: 500ms\nscheduler: wrr\n');
  const r = await cli(['show-config', '--config', own]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^syncPeriod: 45s$/m);
  assert.match(r.out, /^minSyncPeriod: 500ms$/m);
  // what show-config prints reads back to the same settings
  const again = await cli(['show-config', '--config', configFile('again.yaml', r.out)]);
  assert.equal(again.out, r.out);
});

test("KubeProxyConfiguration: kubeadm's zero sync periods (0s) mean kube-proxy's defaults, not an error", async () => {
  const kubeadm = configFile('kubeadm.conf', 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\nipvs:\n  syncPeriod: 0s\n  minSyncPeriod: 0s\n  scheduler: ""\n');
  const r = await cli(['show-config', '--config', kubeadm]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^syncPeriod: 30s$/m);
  assert.match(r.out, /^minSyncPeriod: 1s$/m);
});
