import { prepared, type Db } from '../open';
import { runBatched } from './batch';
import type { PrevState } from '../../lib/delta';

export interface StoredState extends PrevState {
  setName: string;
  elemKey: string;
}

/**
 * The row id of every stored counter, by 'set/elem', and the next id to hand out, per connection.
 * Ids are never reused within a run (a new counter takes one past any seen), so a row a rolled-back
 * transaction never wrote is simply inserted under its id next time. A failed transaction may also
 * have rolled back a delete, leaving a row the map no longer knows: forgetCounterIds drops the map
 * and the next write reloads it.
 */
interface Ids {
  byKey: Map<string, number>;
  next: number;
}

const idsOf = new WeakMap<Db, Ids>();

function ids(db: Db): Ids {
  let m = idsOf.get(db);
  if (!m) {
    const rows = prepared(db, 'SELECT id, set_name AS s, elem_key AS e FROM counter_state').all() as Array<{ id: number; s: string; e: string }>;
    m = { byKey: new Map(rows.map((r) => [`${r.s}/${r.e}`, r.id])), next: 1 };
    for (const r of rows) m.next = Math.max(m.next, r.id + 1);
    idsOf.set(db, m);
  }
  return m;
}

/** forgetCounterIds drops the remembered row ids (after a failed transaction). */
export function forgetCounterIds(db: Db): void {
  idsOf.delete(db);
}

/** getCounterStates loads the last-read value of every tracked kernel counter. */
export function getCounterStates(db: Db): StoredState[] {
  return db
    .prepare(
      `SELECT set_name AS setName, elem_key AS elemKey, table_handle AS tableHandle, bytes, packets,
              seen_at AS seenAt, expires_at AS expiresAt FROM counter_state`,
    )
    .all() as StoredState[];
}

/** putCounterStates stores the values just read for many counters, many rows per statement, each by its row id. */
export function putCounterStates(db: Db, states: StoredState[]): void {
  if (!states.length) return;
  const m = ids(db);
  const idOf = (s: StoredState) => {
    const k = `${s.setName}/${s.elemKey}`;
    let id = m.byKey.get(k);
    if (id === undefined) m.byKey.set(k, (id = m.next++));
    return id;
  };
  runBatched(
    db,
    (values) => `INSERT INTO counter_state (id, set_name, elem_key, table_handle, bytes, packets, seen_at, expires_at) VALUES ${values}
     ON CONFLICT(id) DO UPDATE SET table_handle = excluded.table_handle, bytes = excluded.bytes,
       packets = excluded.packets, seen_at = excluded.seen_at, expires_at = excluded.expires_at`,
    8,
    states.map((s) => [idOf(s), s.setName, s.elemKey, s.tableHandle, s.bytes, s.packets, s.seenAt, s.expiresAt]),
  );
}

/** deleteCounterState forgets a counter the kernel no longer has. */
export function deleteCounterState(db: Db, setName: string, elemKey: string): void {
  prepared(db, 'DELETE FROM counter_state WHERE set_name = ? AND elem_key = ?').run(setName, elemKey);
  idsOf.get(db)?.byKey.delete(`${setName}/${elemKey}`);
}
