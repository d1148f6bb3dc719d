import { prepared, type Db } from '../open';
import { runBatched } from './batch';
import type { CounterState } from '../../lib/delta';

/** A stored kernel counter (lib/delta.ts CounterState). */
export type StoredState = CounterState;

/**
 * CounterIds is the row id of every stored counter, by 'set/elem', the next id to hand out and
 * the size of the unfolded log, for one connection; its owner (the collector's store) keeps one.
 * Ids are never reused within a run (a new counter takes one past any seen). A row a rolled-back
 * transaction never wrote is noticed on the next write (`unconfirmed`) and inserted afresh, so no
 * log record names a row that is not there. A failed transaction may also have rolled back a
 * delete, leaving a row the map no longer knows: forget() drops the map and the next write
 * reloads it.
 */
export class CounterIds {
  private ids: { byKey: Map<string, number>; next: number; unconfirmed: Map<string, number> } | null = null;
  private logSize: { polls: number; counters: number } | null = null;

  constructor(private readonly db: Db) {}

  /** rows loads the id map on first use. */
  rows(): { byKey: Map<string, number>; next: number; unconfirmed: Map<string, number> } {
    if (!this.ids) {
      const rows = prepared(this.db, 'SELECT id, set_name AS s, elem_key AS e FROM counter_state').all() as Array<{ id: number; s: string; e: string }>;
      this.ids = { byKey: new Map(rows.map((r) => [`${r.s}/${r.e}`, r.id])), next: 1, unconfirmed: new Map() };
      for (const r of rows) this.ids.next = Math.max(this.ids.next, r.id + 1);
      // A deleted row may still be named by log records not folded yet: never hand its id out again.
      for (const [id] of logEntries(this.db)) this.ids.next = Math.max(this.ids.next, id + 1);
    }
    return this.ids;
  }

  /** log is the number of logged polls and counters not folded yet. */
  log(): { polls: number; counters: number } {
    if (!this.logSize) {
      const rows = prepared(this.db, 'SELECT states FROM counter_log').all() as Array<{ states: Buffer }>;
      this.logSize = { polls: rows.length, counters: rows.reduce((n, r) => n + r.states.byteLength / (8 * FIELDS), 0) };
    }
    return this.logSize;
  }

  /** logFolded records an empty log. */
  logFolded(): void {
    this.logSize = { polls: 0, counters: 0 };
  }

  /** dropKey forgets one counter's id. */
  dropKey(key: string): void {
    this.ids?.byKey.delete(key);
    this.ids?.unconfirmed.delete(key);
  }

  /** forget drops the remembered row ids and log size (after a failed transaction). */
  forget(): void {
    this.ids = null;
    this.logSize = null;
  }
}

/**
 * Logged polls (or logged counters) after which putCounterStates folds the log into counter_state
 * however it is called; the collector folds sooner, on the poll that rolls usage up (about once a
 * minute), so one poll a minute carries both.
 */
export const COMPACT_EVERY = { polls: 60, counters: 50_000 };

const FIELDS = 6;

/** unpack reads one counter_log record: [row id, table_handle, bytes, packets, seen_at, expires_at | null]. */
function* unpack(blob: Buffer): Generator<[number, number, number, number, number, number | null]> {
  const f = new Float64Array(blob.buffer, blob.byteOffset, blob.byteLength / 8);
  for (let i = 0; i + FIELDS <= f.length; i += FIELDS) yield [f[i], f[i + 1], f[i + 2], f[i + 3], f[i + 4], Number.isNaN(f[i + 5]) ? null : f[i + 5]];
}

/** logEntries reads every counter_log record, oldest first, as unpacked entries. */
function* logEntries(db: Db): Generator<[number, number, number, number, number, number | null]> {
  for (const { states } of prepared(db, 'SELECT states FROM counter_log ORDER BY id').all() as Array<{ states: Buffer }>) yield* unpack(states);
}

/** getCounterStates loads the last-read value of every tracked kernel counter: its row, then the log in order. */
export function getCounterStates(db: Db): StoredState[] {
  const rows = db
    .prepare(
      `SELECT id, set_name AS setName, elem_key AS elemKey, table_handle AS tableHandle, bytes, packets,
              seen_at AS seenAt, expires_at AS expiresAt FROM counter_state`,
    )
    .all() as Array<StoredState & { id?: number }>;
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const [id, tableHandle, bytes, packets, seenAt, expiresAt] of logEntries(db)) {
    const r = byId.get(id);
    if (r) Object.assign(r, { tableHandle, bytes, packets, seenAt, expiresAt });
  }
  return rows.map(({ id: _id, ...s }) => s);
}

/**
 * putCounterStates stores the values just read for many counters, in the caller's transaction: a
 * new counter gets its row (many rows per statement); the others are appended to counter_log as one
 * packed record, folded into their rows when `fold` says so or after COMPACT_EVERY.
 */
export function putCounterStates(db: Db, ids: CounterIds, states: StoredState[], opts: { fold?: boolean } = {}): void {
  const m = ids.rows();
  // A row inserted last time is only logged against once it is known to be there: a rolled-back
  // poll may have taken it back (the collector also drops the ids then, forgetCounterIds).
  if (m.unconfirmed.size) {
    const there = new Set((prepared(db, 'SELECT value AS id FROM json_each(?) WHERE value IN (SELECT id FROM counter_state)').all(JSON.stringify([...m.unconfirmed.values()])) as Array<{ id: number }>).map((r) => r.id));
    for (const [k, id] of m.unconfirmed) if (!there.has(id)) m.byKey.delete(k);
    m.unconfirmed.clear();
  }
  const fresh: unknown[][] = [];
  const known: StoredState[] = [];
  const idOfKnown: number[] = [];
  for (const s of states) {
    const k = `${s.setName}/${s.elemKey}`;
    let id = m.byKey.get(k);
    if (id !== undefined) {
      known.push(s);
      idOfKnown.push(id);
      continue;
    }
    m.byKey.set(k, (id = m.next++));
    m.unconfirmed.set(k, id);
    fresh.push([id, s.setName, s.elemKey, s.tableHandle, s.bytes, s.packets, s.seenAt, s.expiresAt]);
  }
  runBatched(
    db,
    (values) => `INSERT INTO counter_state (id, set_name, elem_key, table_handle, bytes, packets, seen_at, expires_at) VALUES ${values}
     ON CONFLICT(id) DO UPDATE SET table_handle = excluded.table_handle, bytes = excluded.bytes,
       packets = excluded.packets, seen_at = excluded.seen_at, expires_at = excluded.expires_at`,
    8,
    fresh,
  );
  const l = ids.log();
  if (known.length) {
    const f = new Float64Array(known.length * FIELDS);
    known.forEach((s, i) => f.set([idOfKnown[i], s.tableHandle, s.bytes, s.packets, s.seenAt, s.expiresAt ?? NaN], i * FIELDS));
    prepared(db, 'INSERT INTO counter_log (states) VALUES (?)').run(Buffer.from(f.buffer, f.byteOffset, f.byteLength));
    l.polls++;
    l.counters += known.length;
  }
  if (l.polls > 0 && (opts.fold || l.polls >= COMPACT_EVERY.polls || l.counters >= COMPACT_EVERY.counters)) compactCounterLog(db, ids);
}

/**
 * compactCounterLog folds counter_log into counter_state (each counter's latest values, by row id;
 * a counter deleted since is skipped) and empties it, in the caller's transaction.
 */
export function compactCounterLog(db: Db, ids: CounterIds): void {
  const latest = new Map<number, unknown[]>();
  for (const v of logEntries(db)) latest.set(v[0], v);
  runBatched(
    db,
    (values) => `UPDATE counter_state SET table_handle = v.column2, bytes = v.column3, packets = v.column4, seen_at = v.column5, expires_at = v.column6
     FROM (VALUES ${values}) AS v WHERE counter_state.id = v.column1`,
    FIELDS,
    [...latest.values()],
  );
  prepared(db, 'DELETE FROM counter_log').run();
  ids.logFolded();
}

/** clearCounterStates forgets every stored counter (their table is gone), in the caller's transaction. */
export function clearCounterStates(db: Db, ids: CounterIds): void {
  prepared(db, 'DELETE FROM counter_log').run();
  prepared(db, 'DELETE FROM counter_state').run();
  ids.forget();
}

/** deleteCounterState forgets a counter the kernel no longer has. */
export function deleteCounterState(db: Db, ids: CounterIds, setName: string, elemKey: string): void {
  prepared(db, 'DELETE FROM counter_state WHERE set_name = ? AND elem_key = ?').run(setName, elemKey);
  ids.dropKey(`${setName}/${elemKey}`);
}
