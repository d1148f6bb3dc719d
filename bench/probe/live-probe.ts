/**
 * Runs INSIDE the sandbox, as the collector does: lists the sockets with collector/native/sockdiag
 * (kept running, as LiveConnections keeps it) and stores one app's snapshot, `reps` times, and
 * prints per-listing timings as one JSON line.
 *   node --import tsx bench/probe/live-probe.ts DB CGROUP_PATH REPS
 * The app in CGROUP_PATH holds the connections; its cgroup is stored as the collector would.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { openDb } from '../../db/open';
import { upsertApp, upsertCgroup } from '../../db/queries/apps';
import { appIdentity } from '../../lib/identity';
import type { SocketEntry } from '../../lib/live';
import { LiveConnections } from '../../collector/live';
import { SocketSource } from '../../collector/sources/sockets';

export interface LiveProbeRow {
  /** sockdiag's listing, parsed (the helper's own time included). */
  listMs: number;
  /** The whole listing as the collector takes it: list, group by app, bound, store (one transaction). */
  totalMs: number;
  /** The collector's own CPU for it (user + system), ms; sockdiag's is apart. */
  cpuMs: number;
  sockets: number;
}

const [dbPath, cgroupPath, repsArg] = process.argv.slice(2);
const reps = Number(repsArg ?? 20);
const db = openDb(dbPath, { migrate: true });
const now = Math.round(Date.now() / 1000);
const app = upsertApp(db, appIdentity(cgroupPath), now);
upsertCgroup(db, { cgroupId: statSync(join('/sys/fs/cgroup', cgroupPath)).ino, path: cgroupPath, level: cgroupPath.split('/').length, appId: app }, now);

/** The collector's lister, timed. */
const source = new SocketSource();
let listMs = 0;
let sockets = 0;
const timed = {
  get available() {
    return source.available;
  },
  async read(): Promise<SocketEntry[]> {
    const t = process.hrtime.bigint();
    const e = await source.read();
    listMs = Number(process.hrtime.bigint() - t) / 1e6;
    sockets = e.length;
    return e;
  },
  close: () => source.close(),
};
const live = new LiveConnections({ db, sockets: timed, log: (_l, m) => process.stderr.write(`${m}\n`), everyMs: 3600_000 });
const rows: LiveProbeRow[] = [];
for (let i = 0; i <= reps; i++) {
  live.watch(app);
  const cpu0 = process.cpuUsage();
  const t = process.hrtime.bigint();
  await live.tick();
  const totalMs = Number(process.hrtime.bigint() - t) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  // The first listing starts sockdiag and warms the JIT: not the steady state.
  if (i > 0) rows.push({ listMs, totalMs, cpuMs: (cpu.user + cpu.system) / 1000, sockets });
}
await live.close();
db.close();
process.stdout.write(`${JSON.stringify(rows)}\n`);
