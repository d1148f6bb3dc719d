/** Destinations (migrations 080–082) as the dashboard, the API and the command line read them, and their switch (a global setting, next to the collector's `--no-destinations`). */
import { hasTable, prepared, type Db } from '../open';
import { localMidnight, nextLocalMidnight } from '../../lib/time';
import { seriesFilterSql, T_JOINS, totalsCte, type UsageFilter } from './sql-parts';
import type { ReportRow } from '../../lib/report';
import { protocolName, type DestinationKey, type DestinationTraffic } from '../../lib/destinations';
import { foldPrivacy64, type Fold6 } from '../../lib/dest-fold';
import { parseDestinationsState, type DestinationsCause, type DestinationsState } from '../../lib/dest-state';

const KEY = 'destinations';

function readSetting(db: Db, key: string): string | undefined {
  return (prepared(db, 'SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined)?.value;
}

function writeSetting(db: Db, key: string, value: string): void {
  prepared(db, 'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}

/** getDestinationsSetting tells whether the global setting lets destinations be recorded (default: yes). */
export function getDestinationsSetting(db: Db): boolean {
  return readSetting(db, KEY) !== 'off';
}

/** setDestinationsSetting turns recording of destinations on or off for the collector (read at every poll). */
export function setDestinationsSetting(db: Db, on: boolean): void {
  writeSetting(db, KEY, on ? 'on' : 'off');
}

const STATE_KEY = 'destinations_state';

/** getDestinationsState is what the collector last reported about recording destinations (lib/dest-state.ts); null: nothing yet. */
export function getDestinationsState(db: Db): DestinationsState | null {
  return parseDestinationsState(readSetting(db, STATE_KEY));
}

/**
 * putDestinationsState is the collector reporting whether it records destinations and why, at
 * `now` (unix seconds); written only when that changes, so `since` is when it last changed.
 */
export function putDestinationsState(db: Db, s: { recording: boolean; cause: DestinationsCause }, now: number): DestinationsState {
  const prev = getDestinationsState(db);
  if (prev && prev.recording === s.recording && prev.cause === s.cause) return prev;
  const next: DestinationsState = { recording: s.recording, cause: s.cause, since: now };
  writeSetting(db, STATE_KEY, JSON.stringify(next));
  return next;
}

/** One destination of an app over a period (all its interfaces and networks in the filter). */
export interface DestinationRow extends DestinationKey, DestinationTraffic {
  /** The name the machine's DNS answers gave the address (the one queried, head of a CNAME chain); null when none was seen. */
  host: string | null;
  firstSeen: number;
  lastSeen: number;
  /** How many remote addresses the row stands for: 1, or more when `remote` is a /64 of privacy addresses (lib/dest-fold.ts). */
  addresses: number;
}

export interface AppDestinations {
  /** The period, widened to whole hours (destinations are kept per hour). */
  since: number;
  until: number;
  rows: DestinationRow[];
  /** Everything else the app sent and received in the period: rows folded away, and traffic no destination was recorded for. */
  other: { rxBytes: number; txBytes: number; rxPackets: number; txPackets: number };
  /** The app's total over the same period and filter: rows + other, exactly. */
  total: { rxBytes: number; txBytes: number; rxPackets: number; txPackets: number };
}

const HOUR = 3600;

/** hourUp is the first hour bucket starting at or after ts (a local midnight need not be a whole UTC hour). */
const hourUp = (ts: number) => Math.ceil(ts / HOUR) * HOUR;

/** Seconds-wide buckets starting in [from, to) stepped by `next`. */
function bucketsIn(from: number, to: number, next: (ts: number) => number): number[] {
  const out: number[] = [];
  for (let t = from; t < to; t = next(t)) out.push(t);
  return out;
}

/**
 * destRowsSql is the destination rows of [since, until) (whole hours): whole local days before
 * the days written to dest_1d (migration 082) from there, the rest from dest_1h; never both for
 * the same hour. Columns: ts, series_id, dest_id, the four sums, first_seen and last_seen (unix
 * seconds). With `series`, only theirs, each bucket and series found by primary key (ts,
 * series_id); without, every row of the period's buckets. Buckets are clipped to what the
 * tables hold, so a long period costs no more than the kept history.
 */
function destRowsSql(db: Db, since: number, until: number, series?: number[]): { sql: string; params: number[] } {
  const cols = 'ts, series_id, dest_id, rx_bytes, tx_bytes, rx_packets, tx_packets, ts + first_seen AS first_seen, ts + last_seen AS last_seen';
  const mark = prepared(db, "SELECT value FROM settings WHERE key = 'dest_days_folded_until'").pluck().get() as string | undefined;
  const written = mark === undefined ? null : Number(mark);
  const oldest = (t: string) => (prepared(db, `SELECT MIN(ts) FROM ${t}`).pluck().get() as number | null) ?? until;
  const dayFrom = Math.max(localMidnight(since) === since ? since : nextLocalMidnight(since), localMidnight(oldest('dest_1d')));
  const dayTo = written === null ? dayFrom : Math.max(dayFrom, localMidnight(Math.min(until, written)));
  const hourFrom = Math.max(since, oldest('dest_1h'));
  const ranges: Array<[table: 'dest_1d' | 'dest_1h', from: number, to: number, next: (t: number) => number]> = [
    ['dest_1d', dayFrom, dayTo, nextLocalMidnight],
    ['dest_1h', hourUp(hourFrom), Math.min(dayFrom, until), (t) => t + HOUR],
    ['dest_1h', hourUp(Math.max(hourFrom, dayTo)), until, (t) => t + HOUR],
  ];
  const pieces: string[] = [];
  const params: number[] = [];
  for (const [table, from, to, next] of ranges) {
    if (to <= from) continue;
    if (series) {
      const ts = bucketsIn(from, to, next);
      pieces.push(`SELECT ${cols} FROM ${table} WHERE ts IN (${ts.map(() => '?').join(',')}) AND series_id IN (${series.map(() => '?').join(',') || 'NULL'})`);
      params.push(...ts, ...series);
    } else {
      pieces.push(`SELECT ${cols} FROM ${table} WHERE ts >= ? AND ts < ?`);
      params.push(from, to);
    }
  }
  if (!pieces.length) return { sql: `SELECT ${cols} FROM dest_1h WHERE 0`, params: [] };
  return { sql: pieces.join(' UNION ALL '), params };
}

/** stored tells whether the store keeps destinations by key (migration 082): a store the collector has not migrated yet shows none. */
function stored(db: Db): boolean {
  return hasTable(db, 'dest_keys');
}

type Sums = { rxBytes: number; txBytes: number; rxPackets: number; txPackets: number };

/**
 * getAppDestinations lists an app's destinations over a period (widened to whole hours), with
 * the same interface and network filter as usage, biggest first, and "other destinations" as
 * the app's total minus the listed rows, so they add up exactly. `fold6` auto folds IPv6
 * privacy addresses to their /64 (lib/dest-fold.ts) before the `limit` is applied, so a
 * folded row holds all of its addresses' traffic.
 */
export function getAppDestinations(db: Db, appId: number, f: UsageFilter, now: number, limit = 500, fold6: Fold6 = 'auto'): AppDestinations {
  const since = f.since - (((f.since % HOUR) + HOUR) % HOUR);
  const until = Math.ceil(f.until / HOUR) * HOUR;
  const fa = { ...f, since, until };
  const c = totalsCte(db, fa, now, { appId });
  const total = db
    .prepare(`${c.sql} SELECT COALESCE(SUM(rx), 0) AS rxBytes, COALESCE(SUM(tx), 0) AS txBytes, COALESCE(SUM(rxp), 0) AS rxPackets, COALESCE(SUM(txp), 0) AS txPackets FROM t`)
    .get(...c.params) as Sums;
  const w = seriesFilterSql(f);
  const series = (
    db.prepare(`SELECT s.id FROM series s JOIN interfaces i ON i.id = s.iface_id JOIN networks n ON n.id = s.network_id ${w.sql ? `${w.sql} AND` : 'WHERE'} s.app_id = ?`).all(...w.params, appId) as Array<{ id: number }>
  ).map((r) => r.id);
  // Only the app's series in the filter are read: no join to filter rows afterwards.
  const src = stored(db) ? destRowsSql(db, since, until, series) : null;
  // Folding the /64s of privacy addresses needs every row; otherwise the top `limit` suffice.
  const raw = !src
    ? []
    : (db
        .prepare(
          `SELECT k.remote, k.proto, k.port, k.inbound, SUM(d.rx_bytes) AS rxBytes, SUM(d.tx_bytes) AS txBytes, SUM(d.rx_packets) AS rxPackets,
                  SUM(d.tx_packets) AS txPackets, MIN(d.first_seen) AS firstSeen, MAX(d.last_seen) AS lastSeen,
                  (SELECT name FROM dest_names WHERE addr = k.remote ORDER BY seen_at DESC, name LIMIT 1) AS host
           FROM (${src.sql}) d JOIN dest_keys k ON k.id = d.dest_id
           GROUP BY d.dest_id ORDER BY rxBytes + txBytes DESC, k.remote, k.proto, k.port, k.inbound LIMIT ?`,
        )
        .all(...src.params, fold6 === 'off' ? limit : -1) as Array<Omit<DestinationRow, 'inbound' | 'addresses'> & { inbound: number }>);
  const rows = foldPrivacy64(raw.map((r) => ({ ...r, inbound: r.inbound === 1 })), fold6).slice(0, limit);
  const listed = rows.reduce((s, r) => ({ rxBytes: s.rxBytes + r.rxBytes, txBytes: s.txBytes + r.txBytes, rxPackets: s.rxPackets + r.rxPackets, txPackets: s.txPackets + r.txPackets }), { rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 });
  const other = {
    rxBytes: total.rxBytes - listed.rxBytes,
    txBytes: total.txBytes - listed.txBytes,
    rxPackets: total.rxPackets - listed.rxPackets,
    txPackets: total.txPackets - listed.txPackets,
  };
  return { since, until, rows, other, total };
}

/** countAppDestinations counts each app's distinct destinations since a time (for /metrics: a count, never the destinations). */
export function countAppDestinations(db: Db, since: number): Array<{ appId: number; destinations: number }> {
  if (!stored(db)) return [];
  return prepared(
    db,
    `SELECT s.app_id AS appId, COUNT(DISTINCT d.dest_id) AS destinations
     FROM dest_1h d JOIN series s ON s.id = d.series_id WHERE d.ts >= ? AND d.dest_id <> 0 GROUP BY s.app_id`,
  ).all(since) as Array<{ appId: number; destinations: number }>;
}

/**
 * getDestinationReportRows is the usage report by (app, destination): each app's destinations
 * over the period widened to whole hours, biggest first, then its "other destinations" row (the
 * app's total minus its listed destinations; remote, host, protocol and port null), apps by
 * total. Rows of an app add up to its total exactly. `fold6` as in getAppDestinations.
 */
export function getDestinationReportRows(db: Db, f: UsageFilter, now: number, fold6: Fold6 = 'auto'): ReportRow[] {
  const since = f.since - (((f.since % HOUR) + HOUR) % HOUR);
  const until = Math.ceil(f.until / HOUR) * HOUR;
  const c = totalsCte(db, { ...f, since, until }, now);
  const w = seriesFilterSql(f);
  const src = stored(db) ? destRowsSql(db, since, until) : null;
  const apps = db
    .prepare(
      `${c.sql}
       SELECT a.id, a.app_key AS appKey, a.name AS appName, a.kind, SUM(t.rx) AS rxBytes, SUM(t.tx) AS txBytes, SUM(t.rxp) AS rxPackets, SUM(t.txp) AS txPackets
       FROM t ${T_JOINS} ${w.sql} GROUP BY a.id ORDER BY rxBytes + txBytes DESC, a.app_key`,
    )
    .all(...c.params, ...w.params) as Array<{ id: number; appKey: string; appName: string; kind: string } & Sums>;
  const dests = !src
    ? []
    : (db
        .prepare(
          `SELECT s.app_id AS appId, k.remote, k.proto, k.port, k.inbound, SUM(d.rx_bytes) AS rxBytes, SUM(d.tx_bytes) AS txBytes,
                  SUM(d.rx_packets) AS rxPackets, SUM(d.tx_packets) AS txPackets,
                  (SELECT name FROM dest_names WHERE addr = k.remote ORDER BY seen_at DESC, name LIMIT 1) AS host
           FROM (${src.sql}) d JOIN dest_keys k ON k.id = d.dest_id JOIN series s ON s.id = d.series_id JOIN interfaces i ON i.id = s.iface_id
           JOIN networks n ON n.id = s.network_id ${w.sql}
           GROUP BY s.app_id, d.dest_id ORDER BY rxBytes + txBytes DESC, k.remote, k.proto, k.port, k.inbound`,
        )
        .all(...src.params, ...w.params) as Array<{ appId: number; remote: string; proto: number; port: number; inbound: number; host: string | null } & Sums>);
  const byApp = new Map<number, Array<Omit<(typeof dests)[number], 'inbound'> & { inbound: boolean }>>();
  for (const d of dests) {
    const list = byApp.get(d.appId) ?? [];
    list.push({ ...d, inbound: d.inbound === 1 });
    byApp.set(d.appId, list);
  }
  const out: ReportRow[] = [];
  for (const a of apps) {
    const base = { since, until, appKey: a.appKey, appName: a.appName, kind: a.kind };
    const other = { rxBytes: a.rxBytes, txBytes: a.txBytes, rxPackets: a.rxPackets, txPackets: a.txPackets };
    for (const d of foldPrivacy64(byApp.get(a.id) ?? [], fold6)) {
      out.push({ ...base, remote: d.remote, host: d.host, protocol: protocolName(d.proto), port: d.port, inbound: d.inbound, addresses: d.addresses, rxBytes: d.rxBytes, txBytes: d.txBytes, rxPackets: d.rxPackets, txPackets: d.txPackets });
      other.rxBytes -= d.rxBytes;
      other.txBytes -= d.txBytes;
      other.rxPackets -= d.rxPackets;
      other.txPackets -= d.txPackets;
    }
    if (other.rxBytes || other.txBytes || other.rxPackets || other.txPackets) out.push({ ...base, remote: null, host: null, protocol: null, port: null, inbound: null, addresses: null, ...other });
  }
  return out;
}

/** findApps returns the apps whose key or display name is `name` (the command line's --app). */
export function findApps(db: Db, name: string): Array<{ id: number; appKey: string; name: string }> {
  return prepared(db, 'SELECT id, app_key AS appKey, name FROM apps WHERE app_key = ? OR name = ? ORDER BY id').all(name, name) as Array<{ id: number; appKey: string; name: string }>;
}
