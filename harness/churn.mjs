#!/usr/bin/env node
// churn.mjs CGROUP_PARENT COUNT HOST PORT: for each i, make a cgroup under
// CGROUP_PARENT (a path under /sys/fs/cgroup), join it, send one UDP datagram
// from a fresh socket (sockets keep the cgroup they were created in), leave, and
// remove the cgroup: COUNT short-lived cgroups from one process, as a build or a
// cron burst would create.
import dgram from 'node:dgram';
import { mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [parent, countS, host, portS] = process.argv.slice(2);
const base = join('/sys/fs/cgroup', parent);
const send = (sock) => new Promise((res, rej) => sock.send(Buffer.alloc(64), Number(portS), host, (e) => (e ? rej(e) : res())));
for (let i = 0; i < Number(countS); i++) {
  const dir = join(base, `run-u${i}.scope`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'cgroup.procs'), String(process.pid));
  const sock = dgram.createSocket('udp4');
  await send(sock);
  sock.close();
  writeFileSync(join(base, 'cgroup.procs'), String(process.pid));
  rmdirSync(dir);
}
process.stdout.write(JSON.stringify({ event: 'done', cgroups: Number(countS) }) + '\n');
