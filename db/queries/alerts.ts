/** Alerts and their settings (migration 051). */
import { hasTable, prepared, type Db } from '../open';
import { ALERT_KINDS, type Alert, type AlertKind, type AlertSettings, type NewAlert } from '../../lib/alerts';

/** getAlertSettings reads which kinds are on (a kind without a row is on). */
export function getAlertSettings(db: Db): AlertSettings {
  const out = Object.fromEntries(ALERT_KINDS.map((k) => [k, true])) as AlertSettings;
  if (!hasTable(db, 'alert_settings')) return out;
  for (const r of prepared(db, 'SELECT kind, enabled FROM alert_settings').all() as Array<{ kind: AlertKind; enabled: number }>) out[r.kind] = r.enabled === 1;
  return out;
}

/** putAlertSettings stores every kind's on/off in one transaction. */
export function putAlertSettings(db: Db, s: AlertSettings): void {
  const put = prepared(db, 'INSERT INTO alert_settings (kind, enabled) VALUES (?, ?) ON CONFLICT(kind) DO UPDATE SET enabled = excluded.enabled');
  db.transaction(() => {
    for (const k of ALERT_KINDS) put.run(k, s[k] ? 1 : 0);
  })();
}

/** insertAlert records an alert unless its kind is off or it was recorded before (same kind and subject); returns whether it was. */
export function insertAlert(db: Db, a: NewAlert): boolean {
  return (
    prepared(
      db,
      `INSERT INTO alerts (ts, kind, subject, message) SELECT ?, ?, ?, ?
       WHERE COALESCE((SELECT enabled FROM alert_settings WHERE kind = ?), 1) = 1
       ON CONFLICT(kind, subject) DO NOTHING`,
    ).run(a.ts, a.kind, a.subject, a.message, a.kind).changes === 1
  );
}

/** getAlerts lists alerts newest first, or only those after an id (oldest first, for notifications). */
export function getAlerts(db: Db, opts: { afterId?: number; limit?: number } = {}): Alert[] {
  if (!hasTable(db, 'alerts')) return [];
  const limit = opts.limit ?? 50;
  if (opts.afterId !== undefined) return prepared(db, 'SELECT id, ts, kind, subject, message FROM alerts WHERE id > ? ORDER BY id LIMIT ?').all(opts.afterId, limit) as Alert[];
  return prepared(db, 'SELECT id, ts, kind, subject, message FROM alerts ORDER BY id DESC LIMIT ?').all(limit) as Alert[];
}

/** getLastAlertId is the id of the newest alert (0 without any). */
export function getLastAlertId(db: Db): number {
  if (!hasTable(db, 'alerts')) return 0;
  return (prepared(db, 'SELECT COALESCE(MAX(id), 0) AS id FROM alerts').get() as { id: number }).id;
}

/** getAlertCounts counts the recorded alerts of each kind, with the newest one's time (for /metrics). */
export function getAlertCounts(db: Db): Array<{ kind: AlertKind; count: number; lastTs: number }> | null {
  if (!hasTable(db, 'alerts')) return null;
  return prepared(db, 'SELECT kind, COUNT(*) AS count, MAX(ts) AS lastTs FROM alerts GROUP BY kind ORDER BY kind').all() as Array<{ kind: AlertKind; count: number; lastTs: number }>;
}

/** getStoreStart is when the collector first recorded anything (its first network), or null for an empty store. */
export function getStoreStart(db: Db): number | null {
  return (prepared(db, 'SELECT MIN(first_seen) AS t FROM networks').get() as { t: number | null }).t;
}

/** getAppNames maps every app key to its name. */
export function getAppNames(db: Db): Map<string, string> {
  return new Map((prepared(db, 'SELECT app_key AS k, name FROM apps').all() as Array<{ k: string; name: string }>).map((r) => [r.k, r.name]));
}

/**
 * markFirstTraffic stamps an app's first traffic; returns the app when this was it (a real app,
 * not the unattributed or unknown-cgroup buckets), null otherwise.
 */
export function markFirstTraffic(db: Db, appId: number, ts: number): { key: string; name: string } | null {
  if (!hasTable(db, 'alerts')) return null;
  const r = prepared(db, 'UPDATE apps SET first_traffic = ? WHERE id = ? AND first_traffic IS NULL RETURNING app_key AS key, name, kind').get(ts, appId) as
    | { key: string; name: string; kind: string }
    | undefined;
  return r && r.kind !== 'unattributed' && r.key !== '(unknown cgroup)' ? { key: r.key, name: r.name } : null;
}
