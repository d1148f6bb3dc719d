import { prepared, type Db } from '../open';
import { runBatched } from './batch';
import type { PrevState } from '../../lib/delta';

export interface StoredState extends PrevState {
  setName: string;
  elemKey: string;
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

/** putCounterStates stores the values just read for many counters, many rows per statement. */
export function putCounterStates(db: Db, states: StoredState[]): void {
  runBatched(
    db,
    (values) => `INSERT INTO counter_state (set_name, elem_key, table_handle, bytes, packets, seen_at, expires_at) VALUES ${values}
     ON CONFLICT(set_name, elem_key) DO UPDATE SET table_handle = excluded.table_handle, bytes = excluded.bytes,
       packets = excluded.packets, seen_at = excluded.seen_at, expires_at = excluded.expires_at`,
    7,
    states.map((s) => [s.setName, s.elemKey, s.tableHandle, s.bytes, s.packets, s.seenAt, s.expiresAt]),
  );
}

/** deleteCounterState forgets a counter the kernel no longer has. */
export function deleteCounterState(db: Db, setName: string, elemKey: string): void {
  prepared(db, 'DELETE FROM counter_state WHERE set_name = ? AND elem_key = ?').run(setName, elemKey);
}
