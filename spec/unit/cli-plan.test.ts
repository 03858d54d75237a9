// `ipvs-proxy plan`: the example file in every format, skipped objects on stderr, file errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, configFile } from '../helpers/cli.js';

const EXAMPLE = ['plan', '--objects', 'examples/cluster.yaml', '--node-name', 'node-a', '--node-ip', '192.168.1.10', '--node-ip', 'fd00:1::10', '--cluster-cidr', '10.244.0.0/16'];

test('plan --format ipvsadm: the example cluster as ipvsadm -Sn lines; skipped Services on stderr; exit 0', async () => {
  const r = await cli(EXAMPLE);
  assert.equal(r.code, 0);
  const lines = r.out.trim().split('\n');
  assert.ok(lines.includes('-A -u 10.96.0.10:53 -s lc'));
  assert.ok(lines.includes('-A -t 10.96.10.30:8443 -s rr -p 1800'));
  assert.ok(lines.includes('-a -t 192.168.1.10:31443 -r 10.244.1.40:8443 -m -w 1'), 'ETP=Local NodePort: the local endpoint only');
  assert.ok(!lines.includes('-a -t 10.96.10.20:80 -r 10.244.1.13:8080 -m -w 1'), 'the terminating web pod is not used');
  assert.equal(lines.filter((l) => l.startsWith('-A ')).length, 10);
  assert.equal(r.err, [
    'skipped Service shop/db: headless service (clusterIP None)',
    'skipped Service shop/payments: ExternalName service (DNS only, nothing to proxy)', ''].join('\n'));
});

test('plan --format ipset / iptables / ip6tables / json', async () => {
  const ipset = await cli([...EXAMPLE, '--format', 'ipset']);
  assert.match(ipset.out, /^add KUBE-LOAD-BALANCER-SOURCE-CIDR 198\.51\.100\.7,tcp:443,203\.0\.113\.0\/24$/m);
  assert.match(ipset.out, /^create KUBE-6-CLUSTER-IP hash:ip,port family inet6 hashsize 1024 maxelem 65536$/m);
  const ipt = await cli([...EXAMPLE, '--format', 'iptables']);
  assert.match(ipt.out, /^\*nat$/m);
  assert.match(ipt.out, /^-A KUBE-SERVICES ! -s 10\.244\.0\.0\/16 .*KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ$/m);
  assert.match(ipt.out, /^-A KUBE-IPVS-OUT-FILTER -s 198\.51\.100\.7\/32 -m ipvs --vproto 6 --vaddr 198\.51\.100\.7 --vport 443 -j DROP$/m);
  const ip6t = await cli([...EXAMPLE, '--format', 'ip6tables']);
  assert.match(ip6t.out, /--match-set KUBE-6-CLUSTER-IP src,dst -j KUBE-MARK-MASQ$/m, 'no IPv6 cluster CIDR: the src,dst form');
  const json = JSON.parse((await cli([...EXAMPLE, '--format', 'json'])).out) as { virtualServers: unknown[]; healthChecks: unknown[]; problems: unknown[] };
  assert.equal(json.virtualServers.length, 10);
  assert.deepEqual(json.healthChecks, [{ service: 'shop/storefront', nodePort: 32000, localEndpoints: 1 }]);
  assert.equal(json.problems.length, 2);
});

test('plan: list flags take repeated and comma-separated values alike', async () => {
  const a = await cli([...EXAMPLE, '--nodeport-addresses', '192.168.0.0/16,10.0.0.0/8']);
  const b = await cli([...EXAMPLE, '--nodeport-addresses', '192.168.0.0/16', '--nodeport-addresses', '10.0.0.0/8']);
  assert.equal(a.code, 0);
  assert.equal(a.out, b.out);
});

test('plan: an unreadable or unparsable file is an error with its position, exit 1; a missing --objects is a usage error', async () => {
  const bad = configFile('bad.yaml', 'kind: List\nitems:\n  - kind: Service\n    metadata: {name: x\n');
  const r = await cli(['plan', '--objects', bad]);
  assert.equal(r.code, 1);
  assert.match(r.err, /bad\.yaml:\d+:\d+: /);
  const missing = await cli(['plan', '--objects', '/nonexistent/objects.yaml']);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /cannot read \/nonexistent\/objects.yaml: ENOENT/);
  const none = await cli(['plan']);
  assert.equal(none.code, 2);
  assert.match(none.err, /--objects FILE is required/);
});

test('plan: several --- documents and typed lists are read; other kinds are ignored with a note', async () => {
  const file = configFile('multi.yaml', [
    'apiVersion: v1\nkind: ServiceList\nitems:\n- metadata: {name: a, namespace: x}\n  spec: {clusterIP: 10.96.0.5, ports: [{port: 80}]}',
    'kind: ConfigMap\nmetadata: {name: cm, namespace: x}',
    'kind: EndpointSlice\nmetadata: {name: a-1, namespace: x, labels: {kubernetes.io/service-name: a}}\naddressType: IPv4\nendpoints: [{addresses: [10.244.0.9]}]\nports: [{port: 9000, name: ""}]',
  ].join('\n---\n'));
  const r = await cli(['plan', '--objects', file]);
  assert.equal(r.code, 0);
  assert.equal(r.out, '-A -t 10.96.0.5:80 -s rr\n-a -t 10.96.0.5:80 -r 10.244.0.9:9000 -m -w 1\n');
  assert.equal(r.err, 'ignored ConfigMap x/cm: not a Service or EndpointSlice\n');
});
