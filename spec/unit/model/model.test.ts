// The model, scenario by scenario: Services and EndpointSlices in, desired kernel state out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIG, NODE, linesFor, members, model, problems, slice, svc, type Ep } from '../../helpers/objects.js';
import type { DesiredState } from '../../../lib/model/desired-state.js';
import type { ModelConfig } from '../../../lib/model/config.js';
import type { NodeFacts } from '../../../lib/model/node.js';
import { buildDesiredState } from '../../../lib/model/build.js';
import { readSnapshot } from '../../../lib/sources/read-objects.js';

interface Scenario {
  name: string;
  objects: Array<Record<string, unknown>>;
  node?: Partial<NodeFacts>;
  config?: Partial<ModelConfig>;
  check: (d: DesiredState) => void;
}

const web = (eps: Array<Ep | string>, o: Parameters<typeof svc>[1] = {}) => [svc('web', o), slice('web-1', 'web', eps)];
const noProblems = (d: DesiredState) => assert.deepEqual(problems(d), []);
const PORTS_DNS = [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 'dns' }, { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 'dns-tcp' }];
const SLICE_DNS_PORTS = [{ name: 'dns', port: 5353, protocol: 'UDP' }, { name: 'dns-tcp', port: 5354, protocol: 'TCP' }];
const lb = (extra: Record<string, unknown> = {}, lbIPs: Array<string | Record<string, unknown>> = ['198.51.100.7']) =>
  svc('shop', { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }], lbIPs, spec: extra });

const scenarios: Scenario[] = [
  {
    name: 'ClusterIP TCP: one virtual server, ready endpoints as weight-1 masq real servers, address bound',
    objects: web(['10.244.1.5', '10.244.2.6']),
    check: (d) => {
      noProblems(d);
      assert.deepEqual(linesFor(d, '10.96.0.10:80'), [
        '-A -t 10.96.0.10:80 -s rr', '-a -t 10.96.0.10:80 -r 10.244.1.5:8080 -m -w 1', '-a -t 10.96.0.10:80 -r 10.244.2.6:8080 -m -w 1']);
      assert.deepEqual(d.boundAddresses, ['10.96.0.10']);
      assert.deepEqual(members(d, 'KUBE-CLUSTER-IP'), ['10.96.0.10,tcp:80']);
      assert.deepEqual(members(d, 'KUBE-IPVS-IPS'), ['10.96.0.10']);
    },
  },
  {
    name: 'UDP port gives a -u virtual server and a udp set entry',
    objects: [svc('dns', { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }), slice('dns-1', 'dns', ['10.244.1.5'], { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] })],
    check: (d) => {
      assert.deepEqual(linesFor(d, '10.96.0.10:53'), ['-A -u 10.96.0.10:53 -s rr', '-a -u 10.96.0.10:53 -r 10.244.1.5:53 -m -w 1']);
      assert.deepEqual(members(d, 'KUBE-CLUSTER-IP'), ['10.96.0.10,udp:53']);
    },
  },
  {
    name: 'SCTP port gives an --sctp-service virtual server',
    objects: [svc('diameter', { ports: [{ name: 'd', port: 3868, protocol: 'SCTP' }] }), slice('d-1', 'diameter', ['10.244.1.5'], { ports: [{ name: 'd', port: 3868, protocol: 'SCTP' }] })],
    check: (d) => assert.deepEqual(linesFor(d, '10.96.0.10:3868'), ['-A --sctp-service 10.96.0.10:3868 -s rr', '-a --sctp-service 10.96.0.10:3868 -r 10.244.1.5:3868 -m -w 1']),
  },
  {
    name: 'multi-port Service with named target ports: each port gets the slice port of the same name',
    objects: [svc('dns', { ports: PORTS_DNS }), slice('dns-1', 'dns', ['10.244.1.5'], { ports: SLICE_DNS_PORTS })],
    check: (d) => {
      assert.deepEqual(linesFor(d, '10.96.0.10:53'), [
        '-A -t 10.96.0.10:53 -s rr', '-a -t 10.96.0.10:53 -r 10.244.1.5:5354 -m -w 1',
        '-A -u 10.96.0.10:53 -s rr', '-a -u 10.96.0.10:53 -r 10.244.1.5:5353 -m -w 1']);
      assert.deepEqual(members(d, 'KUBE-CLUSTER-IP'), ['10.96.0.10,tcp:53', '10.96.0.10,udp:53']);
    },
  },
  {
    name: 'a slice port of the same number but another name does not match',
    objects: [svc('web'), slice('web-1', 'web', ['10.244.1.5'], { ports: [{ name: 'metrics', port: 8080, protocol: 'TCP' }] })],
    check: (d) => assert.deepEqual(linesFor(d, '10.96.0.10:80'), ['-A -t 10.96.0.10:80 -s rr']),
  },
  {
    name: 'several slices of one Service are joined',
    objects: [svc('web'), slice('web-1', 'web', ['10.244.1.5']), slice('web-2', 'web', ['10.244.2.6', '10.244.3.7'])],
    check: (d) => assert.equal(linesFor(d, '10.96.0.10:80').length, 4),
  },
  {
    name: 'an endpoint listed by two slices counts once, ready if either slice says so',
    objects: [svc('web'), slice('web-1', 'web', [{ ip: '10.244.1.5', ready: false }]), slice('web-2', 'web', ['10.244.1.5', '10.244.2.6'])],
    check: (d) => assert.deepEqual(linesFor(d, '10.96.0.10:80').slice(1), ['-a -t 10.96.0.10:80 -r 10.244.1.5:8080 -m -w 1', '-a -t 10.96.0.10:80 -r 10.244.2.6:8080 -m -w 1']),
  },
  {
    name: 'slices of another Service or namespace are not used',
    objects: [svc('web'), slice('other-1', 'other', ['10.244.1.5']), slice('web-1', 'web', ['10.244.9.9'], { ns: 'elsewhere' })],
    check: (d) => assert.deepEqual(linesFor(d, '10.96.0.10:80'), ['-A -t 10.96.0.10:80 -s rr']),
  },
  {
    name: 'endpoints that are not ready are left out',
    objects: web(['10.244.1.5', { ip: '10.244.2.6', ready: false, serving: false }]),
    check: (d) => assert.deepEqual(linesFor(d, '10.96.0.10:80').slice(1), ['-a -t 10.96.0.10:80 -r 10.244.1.5:8080 -m -w 1']),
  },
  {
    name: 'no ready endpoint: the serving-but-terminating ones are used (terminating fallback)',
    objects: web([{ ip: '10.244.1.5', ready: false, serving: true, terminating: true }, { ip: '10.244.2.6', ready: false, serving: false, terminating: true }]),
    check: (d) => assert.deepEqual(linesFor(d, '10.96.0.10:80').slice(1), ['-a -t 10.96.0.10:80 -r 10.244.1.5:8080 -m -w 1']),
  },
  {
    name: 'with a ready endpoint, terminating ones are not used',
    objects: web(['10.244.1.5', { ip: '10.244.2.6', ready: false, serving: true, terminating: true }]),
    check: (d) => assert.deepEqual(linesFor(d, '10.96.0.10:80').slice(1), ['-a -t 10.96.0.10:80 -r 10.244.1.5:8080 -m -w 1']),
  },
  {
    name: 'conditions left unset count as ready and serving (as Kubernetes documents)',
    objects: [svc('web'), { ...slice('web-1', 'web', ['10.244.1.5']), endpoints: [{ addresses: ['10.244.1.5'] }] }],
    check: (d) => assert.equal(linesFor(d, '10.96.0.10:80').length, 2),
  },
  {
    name: 'endpoints of the other family are ignored',
    objects: [svc('web'), slice('web-1', 'web', ['10.244.1.5']), slice('web-6', 'web', ['fd00:10:244:1::5'])],
    check: (d) => assert.deepEqual(linesFor(d, '10.96.0.10:80').slice(1), ['-a -t 10.96.0.10:80 -r 10.244.1.5:8080 -m -w 1']),
  },
  {
    name: 'dual-stack Service: one virtual server per family, each with its own family of endpoints',
    objects: [svc('web', { clusterIPs: ['10.96.0.10', 'fd00:10:96::10'] }), slice('web-4', 'web', ['10.244.1.5']), slice('web-6', 'web', ['fd00:10:244:1::5'])],
    check: (d) => {
      noProblems(d);
      assert.deepEqual(linesFor(d, '[fd00:10:96::10]:80'), ['-A -t [fd00:10:96::10]:80 -s rr', '-a -t [fd00:10:96::10]:80 -r [fd00:10:244:1::5]:8080 -m -w 1']);
      assert.equal(linesFor(d, '10.96.0.10:80').length, 2);
      assert.deepEqual(d.boundAddresses, ['10.96.0.10', 'fd00:10:96::10']);
      assert.deepEqual(members(d, 'KUBE-6-CLUSTER-IP'), ['fd00:10:96::10,tcp:80']);
      assert.deepEqual(members(d, 'KUBE-6-IPVS-IPS'), ['fd00:10:96::10']);
    },
  },
  {
    name: 'IPv6-only Service: KUBE-6- sets, /128 persistence netmask, addresses canonical',
    objects: [svc('web', { clusterIPs: ['FD00:10:96:0::A'] }), slice('web-6', 'web', ['fd00:10:244:1:0:0:0:5'])],
    check: (d) => {
      const v = d.virtualServers[0]!.vs;
      assert.equal(v.address, 'fd00:10:96::a');
      assert.equal(v.netmask, 128);
      assert.deepEqual(linesFor(d, '[fd00:10:96::a]:80').slice(1), ['-a -t [fd00:10:96::a]:80 -r [fd00:10:244:1::5]:8080 -m -w 1']);
      assert.deepEqual(members(d, 'KUBE-CLUSTER-IP'), []);
    },
  },
  {
    name: 'ClientIP affinity: persistence with the default 10800 s',
    objects: web(['10.244.1.5'], { spec: { sessionAffinity: 'ClientIP' } }),
    check: (d) => assert.equal(linesFor(d, '10.96.0.10:80')[0], '-A -t 10.96.0.10:80 -s rr -p 10800'),
  },
  {
    name: 'ClientIP affinity with its own timeout',
    objects: web(['10.244.1.5'], { spec: { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } } }),
    check: (d) => assert.equal(linesFor(d, '10.96.0.10:80')[0], '-A -t 10.96.0.10:80 -s rr -p 60'),
  },
  {
    name: '--scheduler sets the default scheduler',
    objects: web(['10.244.1.5']),
    config: { scheduler: 'lc' },
    check: (d) => assert.equal(linesFor(d, '10.96.0.10:80')[0], '-A -t 10.96.0.10:80 -s lc'),
  },
  {
    name: 'the ipvs-proxy.io/scheduler annotation overrides the default',
    objects: web(['10.244.1.5'], { annotations: { 'ipvs-proxy.io/scheduler': 'sh' } }),
    check: (d) => assert.equal(linesFor(d, '10.96.0.10:80')[0], '-A -t 10.96.0.10:80 -s sh'),
  },
  {
    name: "kube-router's scheduler and flags annotations are accepted",
    objects: web(['10.244.1.5'], { annotations: { 'kube-router.io/service.scheduler': 'sh', 'kube-router.io/service.schedflags': 'flag-1,flag-2' } }),
    check: (d) => assert.equal(linesFor(d, '10.96.0.10:80')[0], '-A -t 10.96.0.10:80 -s sh -b sh-fallback,sh-port'),
  },
  {
    name: 'scheduler flags annotation: sh port hashing',
    objects: web(['10.244.1.5'], { annotations: { 'ipvs-proxy.io/scheduler': 'sh', 'ipvs-proxy.io/scheduler-flags': 'port' } }),
    check: (d) => assert.equal(linesFor(d, '10.96.0.10:80')[0], '-A -t 10.96.0.10:80 -s sh -b sh-port'),
  },
  {
    name: 'mh hashes the source port by default, as upstream',
    objects: web(['10.244.1.5']),
    config: { scheduler: 'mh' },
    check: (d) => assert.equal(linesFor(d, '10.96.0.10:80')[0], '-A -t 10.96.0.10:80 -s mh -b mh-port'),
  },
  {
    name: 'a bad scheduler annotation is a warning and the default applies',
    objects: web(['10.244.1.5'], { annotations: { 'ipvs-proxy.io/scheduler': 'fastest' } }),
    check: (d) => {
      assert.equal(linesFor(d, '10.96.0.10:80')[0], '-A -t 10.96.0.10:80 -s rr');
      assert.match(problems(d).join('\n'), /^warning Service default\/web: annotation ipvs-proxy.io\/scheduler: "fastest" is not one of/);
    },
  },
  {
    name: 'NodePort: one virtual server per node address (not loopback, link-local or kube-ipvs0), never bound',
    objects: [svc('web', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }), slice('web-1', 'web', ['10.244.1.5'])],
    check: (d) => {
      const vips = d.virtualServers.filter((v) => v.role === 'node-port').map((v) => `${v.vs.address}:${v.vs.port}`);
      assert.deepEqual(vips, ['172.16.0.10:30080', '192.168.1.10:30080']);
      assert.deepEqual(d.boundAddresses, ['10.96.0.10']);
      assert.deepEqual(members(d, 'KUBE-NODE-PORT-TCP'), ['30080']);
      assert.deepEqual(members(d, 'KUBE-NODE-PORT-LOCAL-TCP'), []);
    },
  },
  {
    name: 'NodePort with --nodeport-addresses: only node addresses inside the CIDRs',
    objects: [svc('web', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }), slice('web-1', 'web', ['10.244.1.5'])],
    config: { nodePortAddresses: ['192.168.0.0/16'] },
    check: (d) => assert.deepEqual(d.virtualServers.filter((v) => v.role === 'node-port').map((v) => v.vs.address), ['192.168.1.10']),
  },
  {
    name: 'NodePort with --nodeport-addresses=primary: the primary node IPs of each family',
    objects: [svc('web', { type: 'NodePort', clusterIPs: ['10.96.0.10', 'fd00:10:96::10'], ports: [{ name: 'http', port: 80, nodePort: 30080 }] })],
    config: { nodePortAddresses: ['primary'] },
    check: (d) => {
      assert.deepEqual(d.virtualServers.filter((v) => v.role === 'node-port').map((v) => v.vs.address).sort(), ['192.168.1.10', 'fd00:1::10']);
      assert.deepEqual(members(d, 'KUBE-6-NODE-PORT-TCP'), ['30080']);
    },
  },
  {
    name: 'UDP NodePort goes to the UDP bitmap set',
    objects: [svc('dns', { type: 'NodePort', ports: [{ name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 }] })],
    config: { nodePortAddresses: ['primary'] },
    check: (d) => {
      assert.deepEqual(members(d, 'KUBE-NODE-PORT-UDP'), ['30053']);
      assert.deepEqual(members(d, 'KUBE-NODE-PORT-TCP'), []);
    },
  },
  {
    name: 'SCTP NodePort: hash:ip,port entries per node address, ETP=Local in the LOCAL set too',
    objects: [svc('d', { type: 'NodePort', ports: [{ name: 'd', port: 3868, protocol: 'SCTP', nodePort: 30868 }], spec: { externalTrafficPolicy: 'Local' } })],
    check: (d) => {
      assert.deepEqual(members(d, 'KUBE-NODE-PORT-SCTP-HASH'), ['172.16.0.10,sctp:30868', '192.168.1.10,sctp:30868']);
      assert.deepEqual(members(d, 'KUBE-NODE-PORT-LOCAL-SCTP-HASH'), ['172.16.0.10,sctp:30868', '192.168.1.10,sctp:30868']);
      assert.deepEqual(members(d, 'KUBE-6-NODE-PORT-SCTP-HASH'), []);
    },
  },
  {
    name: 'a ClusterIP Service ignores nodePort fields',
    objects: [svc('web', { ports: [{ name: 'http', port: 80, nodePort: 30080 }] })],
    check: (d) => assert.deepEqual(d.virtualServers.map((v) => v.role), ['cluster-ip']),
  },
  {
    name: 'externalIPs: a virtual server, bound, in KUBE-EXTERNAL-IP',
    objects: web(['10.244.1.5'], { spec: { externalIPs: ['203.0.113.5'] } }),
    check: (d) => {
      assert.deepEqual(linesFor(d, '203.0.113.5:80'), ['-A -t 203.0.113.5:80 -s rr', '-a -t 203.0.113.5:80 -r 10.244.1.5:8080 -m -w 1']);
      assert.deepEqual(d.boundAddresses, ['10.96.0.10', '203.0.113.5']);
      assert.deepEqual(members(d, 'KUBE-EXTERNAL-IP'), ['203.0.113.5,tcp:80']);
    },
  },
  {
    name: 'an externalIP that is a node address is not bound to kube-ipvs0 (#93175), with a warning',
    objects: web(['10.244.1.5'], { spec: { externalIPs: ['192.168.1.10'] } }),
    check: (d) => {
      assert.deepEqual(d.boundAddresses, ['10.96.0.10']);
      assert.equal(linesFor(d, '192.168.1.10:80')[0], '-A -t 192.168.1.10:80 -s rr');
      assert.match(problems(d).join('\n'), /warning Service default\/web: external IP 192.168.1.10 is an address of this node/);
    },
  },
  {
    name: 'an externalIP of a family the Service lacks is ignored with a warning',
    objects: web(['10.244.1.5'], { spec: { externalIPs: ['2001:db8::5'] } }),
    check: (d) => {
      assert.equal(linesFor(d, '[2001:db8::5]:80').length, 0);
      assert.match(problems(d).join('\n'), /externalIP 2001:db8::5 ignored: the service has no IPv6 cluster IP/);
    },
  },
  {
    name: 'externalTrafficPolicy=Local externalIP: KUBE-EXTERNAL-IP-LOCAL, local endpoints only; the ClusterIP keeps all',
    objects: web([{ ip: '10.244.1.5', node: 'node-a' }, { ip: '10.244.2.6', node: 'node-b' }], { spec: { externalIPs: ['203.0.113.5'], externalTrafficPolicy: 'Local' } }),
    check: (d) => {
      assert.deepEqual(linesFor(d, '203.0.113.5:80').slice(1), ['-a -t 203.0.113.5:80 -r 10.244.1.5:8080 -m -w 1']);
      assert.equal(linesFor(d, '10.96.0.10:80').length, 3);
      assert.deepEqual(members(d, 'KUBE-EXTERNAL-IP-LOCAL'), ['203.0.113.5,tcp:80']);
      assert.deepEqual(members(d, 'KUBE-EXTERNAL-IP'), []);
    },
  },
  {
    name: 'externalTrafficPolicy=Local on a ClusterIP Service without external IPs has no effect',
    objects: web([{ ip: '10.244.1.5', node: 'node-a' }, { ip: '10.244.2.6', node: 'node-b' }], { spec: { externalTrafficPolicy: 'Local' } }),
    check: (d) => assert.equal(linesFor(d, '10.96.0.10:80').length, 3),
  },
  {
    name: 'LoadBalancer: ingress IP virtual server bound and in KUBE-LOAD-BALANCER, plus NodePort',
    objects: [lb(), slice('shop-1', 'shop', ['10.244.1.5'])],
    check: (d) => {
      noProblems(d);
      assert.deepEqual(d.virtualServers.map((v) => v.role).sort(), ['cluster-ip', 'load-balancer', 'node-port', 'node-port']);
      assert.deepEqual(d.boundAddresses, ['10.96.0.10', '198.51.100.7']);
      assert.deepEqual(members(d, 'KUBE-LOAD-BALANCER'), ['198.51.100.7,tcp:80']);
      assert.deepEqual(members(d, 'KUBE-LOAD-BALANCER-LOCAL'), []);
      assert.deepEqual(members(d, 'KUBE-LOAD-BALANCER-FW'), []);
    },
  },
  {
    name: 'LoadBalancer with externalTrafficPolicy=Local: local endpoints on LB and NodePort, -LOCAL sets, health check count',
    objects: [lb({ externalTrafficPolicy: 'Local', healthCheckNodePort: 32000 }), slice('shop-1', 'shop', [{ ip: '10.244.1.5', node: 'node-a' }, { ip: '10.244.2.6', node: 'node-b' }])],
    check: (d) => {
      for (const v of d.virtualServers) assert.deepEqual(v.realServers.map((r) => r.address), v.role === 'cluster-ip' ? ['10.244.1.5', '10.244.2.6'] : ['10.244.1.5'], v.role);
      assert.deepEqual(members(d, 'KUBE-LOAD-BALANCER-LOCAL'), ['198.51.100.7,tcp:80']);
      assert.deepEqual(members(d, 'KUBE-NODE-PORT-LOCAL-TCP'), ['30080']);
      assert.deepEqual(members(d, 'KUBE-HEALTH-CHECK-NODE-PORT'), ['32000']);
      assert.deepEqual(d.healthChecks, [{ service: 'default/shop', nodePort: 32000, localEndpoints: 1 }]);
    },
  },
  {
    name: 'externalTrafficPolicy=Local with no local endpoint: cluster endpoints serve this node\'s pods, health check reports 0',
    objects: [lb({ externalTrafficPolicy: 'Local', healthCheckNodePort: 32000 }), slice('shop-1', 'shop', [{ ip: '10.244.2.6', node: 'node-b' }])],
    check: (d) => {
      assert.deepEqual(linesFor(d, '198.51.100.7:80').slice(1), ['-a -t 198.51.100.7:80 -r 10.244.2.6:8080 -m -w 1']);
      assert.deepEqual(d.healthChecks, [{ service: 'default/shop', nodePort: 32000, localEndpoints: 0 }]);
    },
  },
  {
    name: 'externalTrafficPolicy=Local with only a terminating local endpoint: it still serves, but the health check reports 0 (kube-proxy counts ready endpoints only; e2e "should fail health check node port if there are only terminating endpoints")',
    objects: [lb({ externalTrafficPolicy: 'Local', healthCheckNodePort: 32000 }),
      slice('shop-1', 'shop', [{ ip: '10.244.1.5', node: 'node-a', ready: false, serving: true, terminating: true }, { ip: '10.244.2.6', node: 'node-b' }])],
    check: (d) => {
      assert.deepEqual(linesFor(d, '198.51.100.7:80').slice(1), ['-a -t 198.51.100.7:80 -r 10.244.1.5:8080 -m -w 1'], 'the terminating local endpoint still takes external traffic (KEP-1669)');
      assert.deepEqual(d.healthChecks, [{ service: 'default/shop', nodePort: 32000, localEndpoints: 0 }]);
    },
  },
  {
    name: 'internalTrafficPolicy=Local: the ClusterIP gets local endpoints only, and none when there are none',
    objects: [svc('a', { spec: { internalTrafficPolicy: 'Local' } }), slice('a-1', 'a', [{ ip: '10.244.1.5', node: 'node-a' }, { ip: '10.244.2.6', node: 'node-b' }]),
      svc('b', { clusterIPs: ['10.96.0.11'], spec: { internalTrafficPolicy: 'Local' } }), slice('b-1', 'b', [{ ip: '10.244.2.7', node: 'node-b' }])],
    check: (d) => {
      assert.deepEqual(linesFor(d, '10.96.0.10:80').slice(1), ['-a -t 10.96.0.10:80 -r 10.244.1.5:8080 -m -w 1']);
      assert.deepEqual(linesFor(d, '10.96.0.11:80'), ['-A -t 10.96.0.11:80 -s rr']);
    },
  },
  {
    name: 'loadBalancerSourceRanges not covering the node: FW and SOURCE-CIDR entries, node-local clients dropped in OUT-FILTER (#119656)',
    objects: [lb({ loadBalancerSourceRanges: ['203.0.113.0/24', '198.51.100.99/32'] })],
    check: (d) => {
      assert.deepEqual(members(d, 'KUBE-LOAD-BALANCER-FW'), ['198.51.100.7,tcp:80']);
      assert.deepEqual(members(d, 'KUBE-LOAD-BALANCER-SOURCE-CIDR'), ['198.51.100.7,tcp:80,198.51.100.99', '198.51.100.7,tcp:80,203.0.113.0/24']);
      assert.deepEqual(members(d, 'KUBE-LOAD-BALANCER-SOURCE-IP'), []);
      const filter = d.iptables.find((f) => f.family === 4)!.tables.find((t) => t.table === 'filter')!;
      assert.ok(filter.rules.includes('-A KUBE-IPVS-OUT-FILTER -s 198.51.100.7/32 -m ipvs --vproto 6 --vaddr 198.51.100.7 --vport 80 -j DROP'));
    },
  },
  {
    name: 'loadBalancerSourceRanges covering a node address: the LB IP itself is an allowed source, no OUT-FILTER drop',
    objects: [lb({ loadBalancerSourceRanges: ['192.168.0.0/16'] })],
    check: (d) => {
      assert.deepEqual(members(d, 'KUBE-LOAD-BALANCER-SOURCE-IP'), ['198.51.100.7,tcp:80,198.51.100.7']);
      const filter = d.iptables.find((f) => f.family === 4)!.tables.find((t) => t.table === 'filter')!;
      assert.ok(!filter.rules.some((r) => r.startsWith('-A KUBE-IPVS-OUT-FILTER')));
    },
  },
  {
    name: 'a 0.0.0.0/0 source range is stored as two halves (ipset refuses /0); ranges are normalised to their network',
    objects: [lb({ loadBalancerSourceRanges: ['0.0.0.0/0', '10.1.2.3/8'] })],
    check: (d) => assert.deepEqual(members(d, 'KUBE-LOAD-BALANCER-SOURCE-CIDR'),
      ['198.51.100.7,tcp:80,0.0.0.0/1', '198.51.100.7,tcp:80,10.0.0.0/8', '198.51.100.7,tcp:80,128.0.0.0/1']),
  },
  {
    name: 'load-balancer ingress with ipMode Proxy or only a hostname is not programmed',
    objects: [lb({}, [{ ip: '198.51.100.7', ipMode: 'Proxy' }, { hostname: 'lb.example.com' }, { ip: '198.51.100.8', ipMode: 'VIP' }])],
    check: (d) => assert.deepEqual(d.virtualServers.filter((v) => v.role === 'load-balancer').map((v) => v.vs.address), ['198.51.100.8']),
  },
  {
    name: 'KUBE-LOOP-BACK lists local endpoints only (hairpin SNAT)',
    objects: web([{ ip: '10.244.1.5', node: 'node-a' }, { ip: '10.244.2.6', node: 'node-b' }]),
    check: (d) => assert.deepEqual(members(d, 'KUBE-LOOP-BACK'), ['10.244.1.5,tcp:8080,10.244.1.5']),
  },
  {
    name: 'a ClusterIP that is a node address is not bound (the node keeps it)',
    objects: web(['10.244.1.5'], { clusterIPs: ['172.16.0.10'] }),
    check: (d) => assert.deepEqual(d.boundAddresses, []),
  },
  {
    name: 'two Services claiming one virtual server: the first by namespace/name keeps it, the other is reported',
    objects: [svc('b', { clusterIPs: ['10.96.0.12'], spec: { externalIPs: ['203.0.113.5'] } }), svc('a', { clusterIPs: ['10.96.0.11'], spec: { externalIPs: ['203.0.113.5'] } })],
    check: (d) => {
      assert.equal(d.virtualServers.find((v) => v.vs.address === '203.0.113.5')!.service, 'default/a');
      assert.match(problems(d).join('\n'), /skipped Service default\/b: virtual server TCP 203.0.113.5:80 \(port "http"\) is already used by default\/a/);
      assert.equal(linesFor(d, '10.96.0.12:80').length, 1);
    },
  },
  {
    name: 'the iptables skeleton: --cluster-cidr gives the ! -s masquerade rule, per family',
    objects: [],
    check: (d) => {
      const nat4 = d.iptables.find((f) => f.family === 4)!.tables[0]!.rules;
      assert.ok(nat4.some((r) => r.startsWith('-A KUBE-SERVICES ! -s 10.244.0.0/16 ') && r.endsWith('-j KUBE-MARK-MASQ')));
      const nat6 = d.iptables.find((f) => f.family === 6)!.tables[0]!.rules;
      assert.ok(nat6.some((r) => r.startsWith('-A KUBE-SERVICES ! -s fd00:10:244::/56 ')));
    },
  },
  {
    name: 'the iptables skeleton: --masquerade-all and masquerade bit 5',
    objects: [],
    config: { masqueradeAll: true, masqueradeBit: 5 },
    check: (d) => {
      const nat = d.iptables.find((f) => f.family === 4)!.tables[0]!.rules;
      assert.ok(nat.includes('-A KUBE-MARK-MASQ -j MARK --set-xmark 0x20/0x20'));
      assert.ok(nat.some((r) => r.includes('KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ') && !r.includes('! -s')));
    },
  },
  {
    name: 'every KUBE-* set exists for each family even when empty; --ip-families 4 programs IPv4 only',
    objects: [svc('web', { clusterIPs: ['10.96.0.10', 'fd00:10:96::10'] }), svc('v6', { clusterIPs: ['fd00:10:96::11'] })],
    config: { families: [4] },
    check: (d) => {
      assert.equal(d.sets.length, 17);
      assert.ok(d.sets.every((s) => !s.name.startsWith('KUBE-6-')));
      assert.deepEqual(d.boundAddresses, ['10.96.0.10']);
      assert.match(problems(d).join('\n'), /skipped Service default\/v6: no cluster IP of a family this node serves/);
    },
  },
  {
    name: 'skipped: headless Service (clusterIP None)',
    objects: [svc('db', { clusterIPs: ['None'] })],
    check: (d) => assert.deepEqual(problems(d), ['skipped Service default/db: headless service (clusterIP None)']),
  },
  {
    name: 'skipped: ExternalName Service',
    objects: [{ kind: 'Service', metadata: { name: 'x', namespace: 'n' }, spec: { type: 'ExternalName', externalName: 'example.com' } }],
    check: (d) => assert.deepEqual(problems(d), ['skipped Service n/x: ExternalName service (DNS only, nothing to proxy)']),
  },
  {
    name: "skipped: a Service labelled for another proxy; one labelled for ipvs-proxy is programmed",
    objects: [svc('mesh', { labels: { 'service.kubernetes.io/service-proxy-name': 'istio' } }), svc('ours', { clusterIPs: ['10.96.0.11'], labels: { 'service.kubernetes.io/service-proxy-name': 'ipvs-proxy' } })],
    check: (d) => {
      assert.deepEqual(problems(d), ['skipped Service default/mesh: handled by another proxy (service.kubernetes.io/service-proxy-name=istio)']);
      assert.deepEqual(d.boundAddresses, ['10.96.0.11']);
    },
  },
  {
    name: 'skipped: an invalid cluster IP; the other Services are unaffected',
    objects: [svc('bad', { clusterIPs: ['10.96.0.300'] }), ...web(['10.244.1.5'])],
    check: (d) => {
      assert.deepEqual(problems(d), ['skipped Service default/bad: malformed: spec.clusterIPs[0]: "10.96.0.300" is not an IP address']);
      assert.equal(linesFor(d, '10.96.0.10:80').length, 2);
    },
  },
  {
    name: 'skipped: a port out of range',
    objects: [svc('bad', { ports: [{ port: 70000 }] })],
    check: (d) => assert.deepEqual(problems(d), ['skipped Service default/bad: malformed: spec.ports[0].port: expected an integer from 1 to 65535, got 70000']),
  },
  {
    name: 'skipped: an unknown protocol',
    objects: [svc('bad', { ports: [{ port: 80, protocol: 'QUIC' }] })],
    check: (d) => assert.deepEqual(problems(d), ['skipped Service default/bad: malformed: spec.ports[0].protocol: unknown protocol "QUIC"']),
  },
  {
    name: 'skipped: missing spec, missing name, no cluster IP yet, duplicate objects',
    objects: [{ kind: 'Service', metadata: { name: 'nospec' } }, { kind: 'Service', metadata: {}, spec: {} },
      svc('pending', { clusterIPs: [] }), svc('twice'), svc('twice', { clusterIPs: ['10.96.0.11'] })],
    check: (d) => assert.deepEqual(problems(d), [
      'skipped Service default/(unnamed): malformed: metadata.name: missing',
      'skipped Service default/nospec: malformed: spec: expected an object',
      'skipped Service default/pending: no cluster IP allocated yet',
      'skipped Service default/twice: defined 2 times',
    ]),
  },
  {
    name: 'skipped slices: no service-name label, FQDN, a bad address (other slices of the Service still count)',
    objects: [svc('web'), slice('web-ok', 'web', ['10.244.1.5']), slice('web-bad', 'web', ['10.244.1.999']),
      { ...slice('orphan', 'x', ['10.244.1.6']), metadata: { name: 'orphan', namespace: 'default' } },
      slice('web-fqdn', 'web', ['db.example.com'], { type: 'FQDN' })],
    check: (d) => {
      assert.deepEqual(problems(d), [
        'skipped EndpointSlice default/orphan: no kubernetes.io/service-name label (not managed for a Service)',
        'skipped EndpointSlice default/web-bad: malformed: endpoints[0].addresses[0]: "10.244.1.999" is not an IP address',
        'skipped EndpointSlice default/web-fqdn: FQDN endpoints cannot be load-balanced by IPVS',
      ]);
      assert.deepEqual(linesFor(d, '10.96.0.10:80').slice(1), ['-a -t 10.96.0.10:80 -r 10.244.1.5:8080 -m -w 1']);
    },
  },
];

for (const s of scenarios) test(`model: ${s.name}`, () => s.check(model(s.objects, { node: s.node, config: s.config })));


test('model: the cluster-IP, node-port and load-balancer virtual servers of one port share one list of real servers', () => {
  const d = buildDesiredState(readSnapshot({
    services: [svc('web', { type: 'LoadBalancer', lbIPs: ['203.0.113.9'], ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30080 }] })],
    endpointSlices: [slice('web-1', 'web', ['10.244.1.5', '10.244.2.6'])],
  }), NODE, CONFIG);
  const v4 = d.virtualServers.filter((v) => v.vs.family === 4);
  assert.deepEqual(new Set(v4.map((v) => v.role)), new Set(['cluster-ip', 'node-port', 'load-balancer']));
  assert.equal(v4[0]!.realServers.length, 2);
  for (const v of v4) assert.equal(v.realServers, v4[0]!.realServers, `${v.role} ${v.vs.address}`);
});
