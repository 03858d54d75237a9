// First real-kernel checks inside the VM: the modules the proxy needs are there and usable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGenericNetlink } from 'netlink';
import { exec, run } from '../helpers/exec.js';

test('VM kernel: kube-ipvs0 as a dummy link and an IPVS virtual server can be created and read back', async () => {
  await run('ip', 'link', 'add', 'kube-ipvs0', 'type', 'dummy');
  try {
    await run('ip', 'addr', 'add', '10.96.0.10/32', 'dev', 'kube-ipvs0');
    await run('ipvsadm', '-A', '-t', '10.96.0.10:53', '-s', 'rr');
    await run('ipvsadm', '-a', '-t', '10.96.0.10:53', '-r', '10.244.1.5:53', '-m', '-w', '1');
    const link = await run('ip', '-o', 'link', 'show', 'kube-ipvs0');
    assert.match(link, /kube-ipvs0: <BROADCAST,NOARP>.*state DOWN/);
    assert.match(await run('ip', '-o', 'addr', 'show', 'dev', 'kube-ipvs0'), /inet 10\.96\.0\.10\/32/);
    assert.equal(await run('ipvsadm', '-Sn'), '-A -t 10.96.0.10:53 -s rr\n-a -t 10.96.0.10:53 -r 10.244.1.5:53 -m -w 1\n');
  } finally {
    await exec('ipvsadm', ['-D', '-t', '10.96.0.10:53']);
    await exec('ip', ['link', 'del', 'kube-ipvs0']);
  }
});

test('VM kernel: the IPVS generic netlink family resolves from Node', async () => {
  const sock = createGenericNetlink();
  try {
    const [family] = await sock.ctrlRequest(3 /* CTRL_CMD_GETFAMILY */, { familyName: 'IPVS' }, { timeout: 2000 });
    assert.equal(family?.familyName, 'IPVS');
    assert.ok((family?.familyId ?? 0) >= 16);
  } finally {
    sock.socket.close();
  }
});

test('VM kernel: ipset types and the iptables backend the host uses are available', async () => {
  for (const type of ['hash:ip,port', 'hash:ip,port,ip', 'hash:ip,port,net', 'hash:ip', 'bitmap:port']) {
    const name = `TEST-${type.replace(/[:,]/g, '-')}`;
    const extra = type === 'bitmap:port' ? ['range', '0-65535'] : [];
    await run('ipset', 'create', name, type, ...extra);
    await run('ipset', 'destroy', name);
  }
  const version = await run('iptables', '--version');
  assert.match(version, /iptables v1\.8/);
  await run('iptables', '-t', 'nat', '-N', 'KUBE-TEST');
  await run('iptables', '-t', 'nat', '-X', 'KUBE-TEST');
});
