import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, configFile } from '../helpers/cli.js';
import { parseDuration } from '../../lib/cli/duration.js';
import { option, parseOptionValue } from '../../lib/cli/options.js';
import { VERSION } from '../../lib/version.js';
import { parseAddressPort } from '../../lib/cli/commands/explain.js';

test('--help lists the commands and global flags and exits 0', async () => {
  const r = await cli(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.out, /Usage: ipvs-proxy \[command\]/);
  assert.match(r.out, /show-config/);
  assert.match(r.out, /--log-level LEVEL/);
});

test('--help after a command shows that command\'s flags', async () => {
  const r = await cli(['show-config', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.out, /Usage: ipvs-proxy show-config/);
  assert.match(r.out, /--scheduler NAME .*one of rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, mh/);
});

test('--version prints the package version', async () => {
  const r = await cli(['--version']);
  assert.equal(r.code, 0);
  assert.equal(r.out.trim().split(' ')[1], VERSION);
});

test('an unknown flag is an error that lists the valid flags', async () => {
  const r = await cli(['show-config', '--schedular', 'lc']);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown flag --schedular; valid flags: .*--scheduler/);
  assert.equal(r.out, '');
});

test('an unknown command is an error naming the commands', async () => {
  const r = await cli(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown command "frobnicate"; commands: run, plan, cleanup, status, explain, migrate, show-config/);
});

test('--scheduler accepts every IPVS scheduler name', async () => {
  for (const s of ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'mh']) {
    const r = await cli(['show-config', '--scheduler', s]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^scheduler: ${s}$`, 'm'));
  }
});

test('--scheduler rejects a name IPVS does not have, with the valid ones', async () => {
  const r = await cli(['show-config', '--scheduler=roundrobin']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--scheduler: "roundrobin" is not one of rr, wrr, lc/);
});

test('kube-proxy\'s --ipvs-scheduler is an alias of --scheduler', async () => {
  const r = await cli(['show-config', '--ipvs-scheduler', 'sh']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^scheduler: sh$/m);
});

test('--ipvs-run-estimation takes keep (the default), on or off, and nothing else', async () => {
  assert.match((await cli(['show-config'])).out, /^ipvsRunEstimation: keep$/m);
  const off = await cli(['show-config', '--ipvs-run-estimation', 'off']);
  assert.equal(off.code, 0, off.err);
  assert.match(off.out, /^ipvsRunEstimation: off$/m);
  const bad = await cli(['show-config', '--ipvs-run-estimation', 'false']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--ipvs-run-estimation: "false" is not one of keep, on, off/);
});

test('configuration precedence is file < environment < flags', async () => {
  const file = configFile('c.yaml', 'scheduler: wlc\nlogLevel: warn\n');
  const fileOnly = await cli(['show-config', '--config', file]);
  assert.match(fileOnly.out, /^scheduler: wlc$/m);
  assert.match(fileOnly.out, /^logLevel: warn$/m);
  const fileAndEnv = await cli(['show-config', '--config', file], { IPVS_PROXY_SCHEDULER: 'sh' });
  assert.match(fileAndEnv.out, /^scheduler: sh$/m);
  assert.match(fileAndEnv.out, /^logLevel: warn$/m);
  const all = await cli(['show-config', '--config', file, '--scheduler', 'lc'], { IPVS_PROXY_SCHEDULER: 'sh' });
  assert.match(all.out, /^scheduler: lc$/m);
});

test('a JSON configuration file works too, and IPVS_PROXY_CONFIG names it', async () => {
  const file = configFile('c.json', '{"scheduler": "nq"}');
  const r = await cli(['show-config'], { IPVS_PROXY_CONFIG: file });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^scheduler: nq$/m);
});

test('a configuration file with an unknown key or a bad value is rejected, naming the file', async () => {
  const unknownKey = configFile('c.yaml', 'schedulr: lc\n');
  const r1 = await cli(['show-config', '--config', unknownKey]);
  assert.equal(r1.code, 2);
  assert.match(r1.err, /schedulr: unknown setting.*configuration file .*c\.yaml/);
  const badValue = configFile('c.yaml', 'scheduler: fastest\n');
  const r2 = await cli(['show-config', '--config', badValue]);
  assert.equal(r2.code, 2);
  assert.match(r2.err, /"fastest" is not one of/);
  const r3 = await cli(['show-config', '--config', '/nonexistent/ipvs-proxy.yaml']);
  assert.equal(r3.code, 2);
  assert.match(r3.err, /ENOENT/);
});

test('an environment value outside the choices is rejected', async () => {
  const r = await cli(['show-config'], { IPVS_PROXY_SCHEDULER: 'random' });
  assert.equal(r.code, 2);
  assert.match(r.err, /"random" is not one of/);
});

test('a flag that needs a value says so', async () => {
  const r = await cli(['show-config', '--scheduler']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--scheduler needs a value/);
});

test('boolean values: "0", "false", "no" are false (convict alone reads "0" as true)', () => {
  const spec = option({ key: 'b', flag: 'b', doc: '', type: 'boolean', default: false });
  for (const f of ['0', 'false', 'no', 'off', 'FALSE']) assert.equal(parseOptionValue(spec, f), false, f);
  for (const t of ['1', 'true', 'yes', 'on', true]) assert.equal(parseOptionValue(spec, t), true, String(t));
  assert.throws(() => parseOptionValue(spec, 'maybe'), /expected true or false/);
});

test('durations use Go syntax, as kube-proxy writes them', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('1h0m0s'), 3_600_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('15'), 15_000);
  assert.throws(() => parseDuration('30 seconds'), /invalid duration/);
  assert.throws(() => parseDuration(''), /invalid duration/);
});

test('explain: a destination is ADDRESS:PORT[/PROTOCOL] (IPv6 in brackets); a bad one, or a name with no proxy to ask, is a usage error', async () => {
  assert.deepEqual(parseAddressPort('10.96.0.10:53/udp'), { address: '10.96.0.10', port: 53, protocol: 'udp' });
  assert.deepEqual(parseAddressPort('[FD00:10:96::0010]:80'), { address: 'fd00:10:96::10', port: 80, protocol: 'tcp' });
  assert.equal(parseAddressPort('default/web:http'), undefined);
  assert.throws(() => parseAddressPort('10.96.0.10:70000'), /not a valid address and port/);
  const bad = await cli(['explain', 'nonsense', '--from', 'node', '--metrics-bind-address', '127.0.0.1:1']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /"nonsense" is neither ADDRESS:PORT\[\/PROTOCOL\] nor NAMESPACE\/NAME\[:PORT\]/);
  const named = await cli(['explain', 'default/web', '--from', 'node', '--metrics-bind-address', '127.0.0.1:1']);
  assert.equal(named.code, 2);
  assert.match(named.err, /no ipvs-proxy answers at 127\.0\.0\.1:1 to name default\/web: give its ADDRESS:PORT/);
  const from = await cli(['explain', '10.96.0.10:80', '--from', 'somewhere', '--metrics-bind-address', '127.0.0.1:1']);
  assert.match(from.err, /--from "somewhere" is neither an address nor "node"/);
  const noSource = await cli(['explain', '10.96.0.10:80', '--metrics-bind-address', '127.0.0.1:1']);
  assert.match(noSource.err, /say who connects: --from ADDRESS or --from node/);
  assert.equal((await cli(['status', 'not-a-name'])).code, 2);
});
