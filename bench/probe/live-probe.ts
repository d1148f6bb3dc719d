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
import { upsertApp, upsertCgroup, getCgroupAppId } from '../../db/queries/apps';
import { replaceLiveSockets } from '../../db/queries/live';
import { appIdentity } from '../../lib/identity';
import { groupSockets } from '../../lib/live';
import { SocketSource } from '../../collector/sources/sockets';

export interface LiveProbeRow {
  /** sockdiag's listing, parsed (the helper's own time included). */
  listMs: number;
  /** Grouping by app, bounding, and the one transaction replacing the snapshot. */
  storeMs: number;
  /** The collector's own CPU for both (user + system), ms. */
  cpuMs: number;
  sockets: number;
  kept: number;
}

const [dbPath, cgroupPath, repsArg] = process.argv.slice(2);
const reps = Number(repsArg ?? 20);
const db = openDb(dbPath, { migrate: true });
const now = Math.round(Date.now() / 1000);
const app = upsertApp(db, appIdentity(cgroupPath), now);
upsertCgroup(db, { cgroupId: statSync(join('/sys/fs/cgroup', cgroupPath)).ino, path: cgroupPath, level: cgroupPath.split('/').length, appId: app }, now);
const source = new SocketSource();
const rows: LiveProbeRow[] = [];
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
for (let i = 0; i <= reps; i++) {
  const cpu0 = process.cpuUsage();
  let t = process.hrtime.bigint();
  const entries = await source.read();
  const listMs = ms(t);
  t = process.hrtime.bigint();
  const groups = groupSockets(entries, (cg) => getCgroupAppId(db, cg), [app]);
  replaceLiveSockets(db, Date.now(), groups);
  const storeMs = ms(t);
  const cpu = process.cpuUsage(cpu0);
  // The first listing starts sockdiag and warms the JIT: not the steady state.
  if (i > 0) rows.push({ listMs, storeMs, cpuMs: (cpu.user + cpu.system) / 1000, sockets: entries.length, kept: groups[0].sockets.length });
}
source.close();
db.close();
process.stdout.write(`${JSON.stringify(rows)}\n`);
