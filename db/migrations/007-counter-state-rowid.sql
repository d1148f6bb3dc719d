-- The collector rewrites one counter_state row per changed kernel counter on every poll (two per
-- active series). Keyed by its text (set_name, elem_key) in a WITHOUT ROWID table, each rewrite
-- searched and rewrote a text-keyed record: at 1,000 busy series that was a third of the poll's
-- write. Rows now have an integer id the collector keeps in memory and updates by; the text key
-- stays unique (it is still how a restarted collector and housekeeping find a counter).
CREATE TABLE counter_state_new (
  id           INTEGER PRIMARY KEY,
  set_name     TEXT    NOT NULL,
  elem_key     TEXT    NOT NULL,
  table_handle INTEGER NOT NULL,
  bytes        INTEGER NOT NULL,
  packets      INTEGER NOT NULL,
  seen_at      INTEGER NOT NULL,
  expires_at   INTEGER,
  UNIQUE (set_name, elem_key)
);
INSERT INTO counter_state_new (set_name, elem_key, table_handle, bytes, packets, seen_at, expires_at)
SELECT set_name, elem_key, table_handle, bytes, packets, seen_at, expires_at FROM counter_state ORDER BY set_name, elem_key;
DROP TABLE counter_state;
ALTER TABLE counter_state_new RENAME TO counter_state;
