// The host's CPU counters for a command in the VM to read (scripts/vm-run, VM_HOST_STAT=1): every
// 20 ms, the host's /proc/stat totals and the QEMU process's CPU time, in ms, written whole (a new
// file renamed over the old) to the share the guest mounts at /run/vm-run. A guest program can then
// tell whether the VM was slow because the host was busy or its hypervisor took the CPU (steal).
// Usage: node host-stat.mjs PID FILE, where PID is QEMU's or its parent's (vm-run's `timeout`).
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const [root, file] = process.argv.slice(2);
/** The fields after a process's command's closing parenthesis: state, ppid, ...; utime is [11]. */
const statOf = (pid) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop().split(' ');
/** QEMU: the process itself, or the child of `timeout` (which may not have started it yet). */
function qemuPid() {
  if (readFileSync(`/proc/${root}/comm`, 'utf8').startsWith('qemu')) return root;
  return readdirSync('/proc').find((p) => /^\d+$/.test(p) && (() => { try { return statOf(p)[1] === root; } catch { return false; } })());
}
let pid;
const TICK_MS = 10; // USER_HZ is 100 on Linux
const FIELDS = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'];
function sample() {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].split(/\s+/).slice(1);
  const host = Object.fromEntries(FIELDS.map((f, i) => [f, Number(cpu[i] ?? 0) * TICK_MS]));
  let qemuMs;
  try {
    pid ??= qemuPid();
    if (pid === undefined) return;
    const rest = statOf(pid);
    qemuMs = (Number(rest[11]) + Number(rest[12])) * TICK_MS;
  } catch { process.exit(0); } // QEMU is gone
  writeFileSync(`${file}.tmp`, JSON.stringify({ t: Date.now(), host, qemuMs }));
  renameSync(`${file}.tmp`, file);
}
setInterval(sample, 20);
sample();
