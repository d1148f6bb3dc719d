-- The per-series index of the daily roll-up (003) covered the byte columns, so every poll rewrote
-- one index entry per active series, each on its own page of an index ordered by series: on a
-- store with a year of history that cost three times the rest of the poll's write. Keyed on
-- (series_id, ts) alone it changes only when a series starts a new day; per-series reads (one
-- app's year chart, per-day reports) look each row up in the table, a few thousand rows at most.
DROP INDEX usage_1d_series;
CREATE INDEX usage_1d_series ON usage_1d (series_id, ts);
