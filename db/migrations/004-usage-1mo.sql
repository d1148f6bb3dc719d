-- Monthly roll-up: a one-year total reads about 12 rows per series instead of 365. Buckets
-- start at local midnight on the 1st (the usage_1d bucket of that day), so a month is exactly
-- the union of its days; written on every poll like the other roll-ups and kept forever.
CREATE TABLE usage_1mo (
  ts INTEGER NOT NULL, series_id INTEGER NOT NULL,
  rx_bytes INTEGER NOT NULL DEFAULT 0, tx_bytes INTEGER NOT NULL DEFAULT 0,
  rx_packets INTEGER NOT NULL DEFAULT 0, tx_packets INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (ts, series_id)
) WITHOUT ROWID;

-- Existing history: each day's row summed into the month that holds it (local time, the same
-- zone the collector wrote the days in).
INSERT INTO usage_1mo (ts, series_id, rx_bytes, tx_bytes, rx_packets, tx_packets)
SELECT CAST(strftime('%s', ts, 'unixepoch', 'localtime', 'start of month', 'utc') AS INTEGER) AS month, series_id,
       SUM(rx_bytes), SUM(tx_bytes), SUM(rx_packets), SUM(tx_packets)
FROM usage_1d GROUP BY month, series_id;
