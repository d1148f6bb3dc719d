/**
 * Destinations in the store (migrations 080–082): each poll's destination deltas added to their
 * hour, under the destination's id in dest_keys (id 0: "other destinations"); learned host
 * names; clearing. Folding to the top destinations, days and retention are in dest-fold.ts.
 * Readers add to "other" whatever the app's usage holds beyond its destination rows (traffic
 * counted while destinations were off, or evicted from the kernel's map before it was read),
 * so destinations + other equal the app's total exactly.
 */
import { prepared, type Db } from '../open';
import type { DestinationKey, DestinationTraffic } from '../../lib/destinations';
import { runBatched } from '../queries/batch';
import { unixSeconds } from '../../lib/time';
import { DAYS_MARK, HOURS_MARK } from './dest-fold';

export { DEST_HOURS_KEEP_DAYS, DEST_KEEP_DAYS, DEST_TOP, destHoursFoldedUntil, foldDest, foldDestHour, foldDestinations, pruneDestinations } from './dest-fold';

/** One poll's traffic with one destination, booked to a series (app, interface, network). */
export interface DestUsage extends DestinationKey, DestinationTraffic {
  seriesId: number;
}

const HOUR = 3600;

type KeyRow = [remote: string, proto: number, port: number, inbound: 0 | 1];

const keyText = (k: KeyRow) => `${k[0]}|${k[1]}|${k[2]}|${k[3]}`;

/** destKeyIds returns the id of every destination in `keys` (keyed by keyText), adding the new ones to dest_keys. */
function destKeyIds(db: Db, keys: ReadonlyMap<string, KeyRow>): Map<string, number> {
  const find = prepared(db, 'SELECT id FROM dest_keys WHERE remote = ? AND proto = ? AND port = ? AND inbound = ?').pluck();
  const out = new Map<string, number>();
  const fresh: KeyRow[] = [];
  for (const [text, k] of keys) {
    const id = find.get(...k) as number | undefined;
    if (id === undefined) fresh.push(k);
    else out.set(text, id);
  }
  if (fresh.length) {
    runBatched(db, (values) => `INSERT INTO dest_keys (remote, proto, port, inbound) VALUES ${values} ON CONFLICT DO NOTHING`, 4, fresh);
    for (const k of fresh) out.set(keyText(k), find.get(...k) as number);
  }
  return out;
}

/** insertDestUsage adds one poll's destination deltas, at unix second ts, to their hour (same destination summed first). */
export function insertDestUsage(db: Db, ts: number, rows: DestUsage[]): void {
  if (!rows.length) return;
  const hour = ts - (ts % HOUR);
  const keys = new Map<string, KeyRow>();
  const keyOf = rows.map((r) => {
    const k: KeyRow = [r.remote, r.proto, r.port, r.inbound ? 1 : 0];
    const text = keyText(k);
    if (!keys.has(text)) keys.set(text, k);
    return text;
  });
  const ids = destKeyIds(db, keys);
  const by = new Map<string, number[]>();
  rows.forEach((r, i) => {
    const id = ids.get(keyOf[i]) as number;
    const k = `${r.seriesId}|${id}`;
    const v = by.get(k);
    if (!v) by.set(k, [hour, r.seriesId, id, r.rxBytes, r.txBytes, r.rxPackets, r.txPackets, ts - hour, ts - hour]);
    else {
      v[3] += r.rxBytes;
      v[4] += r.txBytes;
      v[5] += r.rxPackets;
      v[6] += r.txPackets;
    }
  });
  // In key order: the hour's rows sit together at the end of the table, written in one pass.
  const values = [...by.values()].sort((a, b) => a[1] - b[1] || a[2] - b[2]);
  runBatched(
    db,
    (v) => `INSERT INTO dest_1h (ts, series_id, dest_id, rx_bytes, tx_bytes, rx_packets, tx_packets, first_seen, last_seen) VALUES ${v}
     ON CONFLICT(ts, series_id, dest_id) DO UPDATE SET rx_bytes = rx_bytes + excluded.rx_bytes, tx_bytes = tx_bytes + excluded.tx_bytes,
       rx_packets = rx_packets + excluded.rx_packets, tx_packets = tx_packets + excluded.tx_packets, last_seen = MAX(last_seen, excluded.last_seen)`,
    9,
    values,
  );
}

/** clearDestinations deletes all destination history and learned names; returns roll-up rows deleted. */
export function clearDestinations(db: Db): number {
  return db.transaction(() => {
    const n = prepared(db, 'DELETE FROM dest_1h').run().changes + prepared(db, 'DELETE FROM dest_1d').run().changes;
    prepared(db, 'DELETE FROM dest_keys').run();
    prepared(db, 'DELETE FROM dest_names').run();
    prepared(db, 'DELETE FROM settings WHERE key IN (?, ?)').run(HOURS_MARK, DAYS_MARK);
    return n;
  })();
}

/** putDestNames records host names learned from DNS answers (`at` unix ms, `ttl` seconds); a name seen again is refreshed. */
export function putDestNames(db: Db, names: ReadonlyArray<{ addr: string; name: string; ttl: number; at: number }>): void {
  db.transaction(() => {
    runBatched(
      db,
      (values) => `INSERT INTO dest_names (addr, name, seen_at, expires_at) VALUES ${values}
       ON CONFLICT(addr, name) DO UPDATE SET seen_at = MAX(seen_at, excluded.seen_at), expires_at = MAX(expires_at, excluded.expires_at)`,
      4,
      names.map((n) => [n.addr, n.name, unixSeconds(n.at), unixSeconds(n.at) + n.ttl]),
    );
  })();
}
