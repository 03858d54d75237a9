// Run inside a network namespace (`ip netns exec NS node --import tsx this-file [all]`): lists
// that namespace's ipsets over netlink and prints them as JSON with the time the dump took.
import { IpsetNetlinkReader } from '../../lib/kernel/ipset/netlink-list.js';

const reader = IpsetNetlinkReader.open();
try {
  const start = performance.now();
  const sets = await reader.list(process.argv[2] === 'all' ? () => true : undefined);
  const ms = performance.now() - start;
  process.stdout.write(JSON.stringify({ ms, sets: [...sets.values()].map((s) => ({ ...s, members: [...s.members] })) }));
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exitCode = 1;
} finally {
  reader.close();
}
