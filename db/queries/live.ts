/** The live view's snapshot (migration 090): written whole per app by the collector (collector/live.ts), read by the app page. */
import { hasTable, prepared, type Db } from '../open';
import type { AppSockets, LiveSocket } from '../../lib/live';

/**
 * replaceLiveSockets stores one listing for each of `apps` in one transaction: an app's previous
 * rows go, its new ones and the time they were taken come in, so a reader sees one listing or
 * the next, never a mix.
 */
export function replaceLiveSockets(db: Db, takenAt: number, apps: readonly AppSockets[]): void {
  const del = prepared(db, 'DELETE FROM live_sockets WHERE app_id = ?');
  const snap = prepared(
    db,
    `INSERT INTO live_snapshots (app_id, taken_at, connections, listening) VALUES (?, ?, ?, ?)
     ON CONFLICT(app_id) DO UPDATE SET taken_at = excluded.taken_at, connections = excluded.connections, listening = excluded.listening`,
  );
  const ins = prepared(
    db,
    `INSERT INTO live_sockets (app_id, proto, state, listening, inbound, local_addr, local_port, remote, remote_port, rx_bytes, tx_bytes)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  db.transaction(() => {
    for (const a of apps) {
      del.run(a.appId);
      snap.run(a.appId, takenAt, a.connections, a.listening);
      for (const s of a.sockets) {
        ins.run(a.appId, s.proto, s.state, s.listening ? 1 : 0, s.inbound ? 1 : 0, s.local, s.localPort, s.remote, s.remotePort, s.rxBytes, s.txBytes);
      }
    }
  })();
}

/** deleteLiveSockets drops the snapshot of the given apps (nobody watches them any more), or of every app. */
export function deleteLiveSockets(db: Db, appIds?: readonly number[]): void {
  db.transaction(() => {
    if (appIds === undefined) {
      db.prepare('DELETE FROM live_sockets').run();
      db.prepare('DELETE FROM live_snapshots').run();
      return;
    }
    for (const id of appIds) {
      prepared(db, 'DELETE FROM live_sockets WHERE app_id = ?').run(id);
      prepared(db, 'DELETE FROM live_snapshots WHERE app_id = ?').run(id);
    }
  })();
}

/** An app's stored snapshot: when it was taken, how many sockets it had, and the rows kept, each with its host name. */
export interface LiveSnapshot {
  takenAt: number;
  connections: number;
  listening: number;
  sockets: Array<LiveSocket & { host: string | null }>;
}

/**
 * getLiveSnapshot reads an app's snapshot (null: none, or a store the collector has not migrated
 * yet), connections busiest first, then open ports; each remote address with the latest name the
 * machine's DNS answers gave it.
 */
export function getLiveSnapshot(db: Db, appId: number): LiveSnapshot | null {
  if (!hasTable(db, 'live_snapshots')) return null;
  const head = prepared(db, 'SELECT taken_at AS takenAt, connections, listening FROM live_snapshots WHERE app_id = ?').get(appId) as Omit<LiveSnapshot, 'sockets'> | undefined;
  if (!head) return null;
  const rows = prepared(
    db,
    `SELECT proto, state, listening, inbound, local_addr AS local, local_port AS localPort, remote, remote_port AS remotePort, rx_bytes AS rxBytes, tx_bytes AS txBytes,
            CASE WHEN remote = '' THEN NULL ELSE (SELECT name FROM dest_names WHERE addr = l.remote ORDER BY seen_at DESC, name LIMIT 1) END AS host
     FROM live_sockets l WHERE app_id = ?
     ORDER BY listening, COALESCE(rx_bytes, 0) + COALESCE(tx_bytes, 0) DESC, remote, remote_port, local_port`,
  ).all(appId) as Array<Omit<LiveSnapshot['sockets'][number], 'listening' | 'inbound' | 'proto'> & { proto: 6 | 17; listening: number; inbound: number }>;
  return { ...head, sockets: rows.map((r) => ({ ...r, listening: r.listening === 1, inbound: r.inbound === 1 })) };
}
