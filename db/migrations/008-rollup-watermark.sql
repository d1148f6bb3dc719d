-- Deferred roll-ups. Every poll used to add its deltas to all five roll-ups (10 s, 1 min, 1 h,
-- 1 day, 1 month): five rows per active series per poll, most of the poll's write. Now a poll
-- writes its 10 s rows (and the per-link totals) only; about once a minute the collector adds the
-- closed 10 s buckets since the watermark to the coarser roll-ups in one statement each, and moves
-- the watermark in the same transaction. So the coarse roll-ups hold exactly the traffic before
-- `until` (a 10 s boundary) and usage_10s everything: a reader adds the 10 s rows from `until` on
-- to a coarse table (db/queries/sql-parts). With no row, the coarse roll-ups are complete (a store
-- written by an older collector, or a built history): the collector sets the row on its next poll.
CREATE TABLE rollup_state (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  until INTEGER NOT NULL
);
