#!/usr/bin/env node
// cgexec PROCS_FILE ARGV...: join the cgroup whose cgroup.procs is PROCS_FILE, then run
// ARGV as a child in it (so the command's very first packet already belongs to that
// cgroup), relay signals and exit with the child's status. Node cannot exec(2) in
// place, so the small parent stays; it sends no traffic of its own.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';

// A sandboxed stand-in takes the process name of the program it plays (the demo's package
// download is "apt", not "node"): the collector names unnamed scopes after it.
if (process.env.APPNET_PROCESS_NAME) process.title = process.env.APPNET_PROCESS_NAME;

const [procs, cmd, ...args] = process.argv.slice(2);
if (!procs || !cmd) {
  process.stderr.write('usage: cgexec PROCS_FILE COMMAND [ARG...]\n');
  process.exit(2);
}
try {
  writeFileSync(procs, String(process.pid));
} catch (err) {
  process.stderr.write(`cgexec: cannot join ${procs}: ${err.message}\n`);
  process.exit(125);
}
const child = spawn(cmd, args, { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2']) process.on(sig, () => child.kill(sig));
child.on('error', (err) => {
  process.stderr.write(`cgexec: cannot run ${cmd}: ${err.message}\n`);
  process.exit(127);
});
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  process.exit(code ?? 1);
});
