#!/usr/bin/env node
// private-etc PASSWD GROUP -- ARGV...: in a mount namespace of its own (started under
// `unshare -m --propagation private`), bind PASSWD and GROUP over /etc/passwd and /etc/group,
// then run ARGV as a child, relay signals and exit with its status. `appnet demo` runs its
// dashboard so: the dashboard's account exists for it alone, and the host's /etc is untouched.
import { spawn, spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';

const [passwd, group, sep, cmd, ...args] = process.argv.slice(2);
if (!passwd || !group || sep !== '--' || !cmd) {
  process.stderr.write('usage: private-etc PASSWD GROUP -- COMMAND [ARG...]\n');
  process.exit(2);
}
// Never bind over the host's files: only in a mount namespace other than the one it was started from.
if (readlinkSync('/proc/self/ns/mnt') === readlinkSync(`/proc/${process.ppid}/ns/mnt`)) {
  process.stderr.write('private-etc: not in a mount namespace of its own (run it under unshare -m --propagation private)\n');
  process.exit(125);
}
for (const [src, dst] of [[passwd, '/etc/passwd'], [group, '/etc/group']]) {
  const r = spawnSync('mount', ['--bind', src, dst], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`private-etc: cannot bind ${src} over ${dst}: ${r.stderr || r.error?.message}\n`);
    process.exit(125);
  }
}
const child = spawn(cmd, args, { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('error', (err) => {
  process.stderr.write(`private-etc: cannot run ${cmd}: ${err.message}\n`);
  process.exit(127);
});
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  process.exit(code ?? 1);
});
