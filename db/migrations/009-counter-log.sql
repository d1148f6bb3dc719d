-- The collector rewrote one counter_state row per changed kernel counter on every poll: at 1,000
-- busy series (2,000 counters) about 3–4 ms of each poll's write, more than the usage rows. Now a
-- poll appends the values of the counters that already have a row as one packed record, in the
-- same transaction as the usage they produced, and on the poll that rolls usage up (about once a
-- minute, 008) the log is folded into counter_state and emptied (db/queries/state.ts). A restarted collector reads counter_state and
-- then the log in order; a new counter still gets its row at once (its name lives there).
CREATE TABLE counter_log (
  id     INTEGER PRIMARY KEY,
  states BLOB NOT NULL   -- float64 little-endian × 6 per counter: row id, table_handle, bytes, packets, seen_at, expires_at (NaN = NULL)
);
