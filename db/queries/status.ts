import type { Db } from '../open';

export interface SourceStatus {
  source: string;
  ok: boolean;
  lastRun: number;
  durationMs: number;
  error: string | null;
  detail: unknown;
}

/** putSourceStatus records how one collector source fared in the latest poll. */
export function putSourceStatus(db: Db, s: SourceStatus): void {
  db.prepare(
    `INSERT INTO collector_status (source, ok, last_run, last_ok, duration_ms, error, detail) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(source) DO UPDATE SET ok = excluded.ok, last_run = excluded.last_run,
       last_ok = COALESCE(excluded.last_ok, last_ok), duration_ms = excluded.duration_ms,
       error = excluded.error, detail = excluded.detail`,
  ).run(s.source, s.ok ? 1 : 0, s.lastRun, s.ok ? s.lastRun : null, s.durationMs, s.error, s.detail === undefined ? null : JSON.stringify(s.detail));
}

export interface StatusRow {
  source: string;
  ok: boolean;
  lastRun: number;
  lastOk: number | null;
  durationMs: number;
  error: string | null;
  detail: unknown;
}

/** getCollectorStatus returns the latest status of every source. */
export function getCollectorStatus(db: Db): StatusRow[] {
  const rows = db
    .prepare('SELECT source, ok, last_run AS lastRun, last_ok AS lastOk, duration_ms AS durationMs, error, detail FROM collector_status ORDER BY source')
    .all() as Array<Omit<StatusRow, 'ok' | 'detail'> & { ok: number; detail: string | null }>;
  return rows.map((r) => ({ ...r, ok: r.ok === 1, detail: r.detail ? (JSON.parse(r.detail) as unknown) : null }));
}

/** insertEvent records something the user should be able to read later. */
export function insertEvent(db: Db, e: { ts: number; level: 'info' | 'warn' | 'error'; kind: string; message: string }): void {
  db.prepare('INSERT INTO events (ts, level, kind, message) VALUES (?, ?, ?, ?)').run(e.ts, e.level, e.kind, e.message);
}

/** getRecentEvents returns the newest events first. */
export function getRecentEvents(db: Db, limit = 50): Array<{ ts: number; level: string; kind: string; message: string }> {
  return db.prepare('SELECT ts, level, kind, message FROM events ORDER BY ts DESC, id DESC LIMIT ?').all(limit) as Array<{
    ts: number; level: string; kind: string; message: string;
  }>;
}

/** deleteEventsBefore drops events older than ts (unix ms); returns how many. */
export function deleteEventsBefore(db: Db, ts: number): number {
  return db.prepare('DELETE FROM events WHERE ts < ?').run(ts).changes;
}
