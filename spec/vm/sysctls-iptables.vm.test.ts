// Sysctls through /proc/sys, and the iptables rules that need IPVS (-m ipvs), in the VM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { release } from 'node:os';
import { ProcSysctls, desiredSysctls, ensureSysctls } from '../../lib/kernel/sysctl/sysctls.js';
import { NetlinkIpvs } from '../../lib/kernel/ipvs/netlink-ipvs.js';
import { IptablesCli } from '../../lib/kernel/iptables/iptables-cli.js';
import { skeletonRules, OWNED_CHAINS } from '../../lib/model/skeleton.js';
import { inSaveOrder, ownedRulesOf } from '../../lib/kernel/iptables/save-text.js';
import { writeSkeleton } from '../helpers/write-skeleton.js';
import { inNamespace } from '../helpers/in-namespace.js';
import { createLogger } from '../../lib/log.js';
import { run } from '../helpers/exec.js';
import { withNetns } from '../helpers/netns.js';
import { createKubeSets } from '../helpers/kernel-assert.js';

test('VM sysctls: the IPVS parameters are set in /proc/sys and a second pass changes nothing', async () => {
  const sysctls = new ProcSysctls();
  const desired = desiredSysctls({ kernelRelease: release(), strictArp: true });
  await run('sysctl', '-qw', 'net.ipv4.vs.expire_nodest_conn=0');
  const changed = await ensureSysctls(sysctls, desired, createLogger('fatal'));
  assert.ok(changed.includes('net/ipv4/vs/expire_nodest_conn'));
  for (const d of desired) assert.equal((await sysctls.read(d.path)).trim(), d.value, d.path);
  assert.equal((await run('sysctl', '-n', 'net.ipv4.vs.expire_quiescent_template')).trim(), '1');
  assert.deepEqual(await ensureSysctls(sysctls, desired, createLogger('fatal')), []);
});

test('VM iptables: the OUT-FILTER drop with -m ipvs (needs IPVS) is written and read back', async () => {
  await withNetns('iptvm', async (ns) => {
    await createKubeSets(ns, [4]);
    const ipt = await IptablesCli.detect(inNamespace(ns));
    const { nat, filter } = skeletonRules({ family: 4, masqueradeAll: false, notLocal: [], masqueradeBit: 14, outFilter: [{ address: '192.0.2.10', protocol: 'tcp', port: 443 }] });
    await writeSkeleton(ipt, 4, [nat, filter]);
    assert.deepEqual(ownedRulesOf(await ipt.save(4, 'filter'), OWNED_CHAINS.filter), inSaveOrder(filter.rules));
  });
});

test('VM IPVS timeouts: set over netlink, read back over netlink and by ipvsadm; 0 leaves a value unchanged', async () => {
  const ipvs = await NetlinkIpvs.open();
  try {
    const before = await ipvs.getTimeouts();
    await ipvs.setTimeouts({ tcp: 901, tcpFin: 0, udp: 301 });
    assert.deepEqual(await ipvs.getTimeouts(), { tcp: 901, tcpFin: before.tcpFin, udp: 301 });
    assert.match(await run('ipvsadm', '-L', '--timeout'), new RegExp(`Timeout \\(tcp tcpfin udp\\): 901 ${before.tcpFin} 301`));
    await ipvs.setTimeouts(before);
  } finally {
    ipvs.close();
  }
});

test('VM sysctls: --ipvs-run-estimation off sets net.ipv4.vs.run_estimation=0 on this kernel, on sets it back', async () => {
  const sysctls = new ProcSysctls();
  const set = (runEstimation: 'on' | 'off') => ensureSysctls(sysctls, desiredSysctls({ kernelRelease: release(), strictArp: false, runEstimation }), createLogger('fatal'));
  try {
    await run('sysctl', '-qw', 'net.ipv4.vs.run_estimation=1');
    assert.ok((await set('off')).includes('net/ipv4/vs/run_estimation'));
    assert.equal((await run('sysctl', '-n', 'net.ipv4.vs.run_estimation')).trim(), '0');
    assert.deepEqual(await set('off'), []);
    assert.ok((await set('on')).includes('net/ipv4/vs/run_estimation'));
    assert.equal((await run('sysctl', '-n', 'net.ipv4.vs.run_estimation')).trim(), '1');
  } finally {
    await run('sysctl', '-qw', 'net.ipv4.vs.run_estimation=1');
  }
});
