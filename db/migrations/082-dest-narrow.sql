-- Destinations stored narrow (issue 19, "Bounded": ≤ 50 MB a year for 50 apps × 100 destinations).
-- Each destination (remote address, protocol, port, direction of the connection) is stored once
-- in dest_keys and the roll-ups carry its integer id; id 0 is a series' "other destinations"
-- row. The roll-ups are clustered on (ts, series_id, dest_id): rows are written in time order,
-- so pages fill up at the end of the tree instead of splitting in the middle, and retention
-- frees whole pages from the front; no second index. first_seen and last_seen are seconds after
-- the bucket's start (2 or 3 bytes instead of 4). A day is written once, when it has closed,
-- from its folded hours (db/store/dest-write.ts), so dest_1d holds whole, folded days only: the
-- days before 'dest_days_folded_until'. No foreign keys: checking one per row would cost a
-- lookup per write and a scan of the roll-ups per deleted key; series are never deleted, and
-- keys only once no roll-up row uses them.
CREATE TABLE dest_keys (
  id      INTEGER PRIMARY KEY,
  remote  TEXT    NOT NULL,
  proto   INTEGER NOT NULL,
  port    INTEGER NOT NULL,
  inbound INTEGER NOT NULL,
  UNIQUE (remote, proto, port, inbound)
);

INSERT INTO dest_keys (remote, proto, port, inbound)
SELECT remote, proto, port, inbound FROM dest_1h WHERE remote <> ''
UNION SELECT remote, proto, port, inbound FROM dest_1d WHERE remote <> ''
ORDER BY 1, 2, 3, 4;

ALTER TABLE dest_1h RENAME TO dest_1h_old;
ALTER TABLE dest_1d RENAME TO dest_1d_old;

CREATE TABLE dest_1h (
  ts         INTEGER NOT NULL,
  series_id  INTEGER NOT NULL,
  dest_id    INTEGER NOT NULL,
  rx_bytes   INTEGER NOT NULL,
  tx_bytes   INTEGER NOT NULL,
  rx_packets INTEGER NOT NULL,
  tx_packets INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  PRIMARY KEY (ts, series_id, dest_id)
) WITHOUT ROWID;

CREATE TABLE dest_1d (
  ts         INTEGER NOT NULL,
  series_id  INTEGER NOT NULL,
  dest_id    INTEGER NOT NULL,
  rx_bytes   INTEGER NOT NULL,
  tx_bytes   INTEGER NOT NULL,
  rx_packets INTEGER NOT NULL,
  tx_packets INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  PRIMARY KEY (ts, series_id, dest_id)
) WITHOUT ROWID;

-- Every hour as it was (folded or not).
INSERT INTO dest_1h (ts, series_id, dest_id, rx_bytes, tx_bytes, rx_packets, tx_packets, first_seen, last_seen)
SELECT o.ts, o.series_id, COALESCE(k.id, 0) AS dest, SUM(o.rx_bytes), SUM(o.tx_bytes), SUM(o.rx_packets), SUM(o.tx_packets),
       MIN(MAX(o.first_seen - o.ts, 0)), MAX(MAX(o.last_seen - o.ts, 0))
FROM dest_1h_old o LEFT JOIN dest_keys k ON k.remote = o.remote AND k.proto = o.proto AND k.port = o.port AND k.inbound = o.inbound
GROUP BY o.ts, o.series_id, dest ORDER BY o.ts, o.series_id, dest;

-- Closed (folded) days as they were. The day that was still open held only the hours added so
-- far; it is dropped here and written whole from its hours (all kept) once it closes.
INSERT INTO dest_1d (ts, series_id, dest_id, rx_bytes, tx_bytes, rx_packets, tx_packets, first_seen, last_seen)
SELECT o.ts, o.series_id, COALESCE(k.id, 0) AS dest, SUM(o.rx_bytes), SUM(o.tx_bytes), SUM(o.rx_packets), SUM(o.tx_packets),
       MIN(MAX(o.first_seen - o.ts, 0)), MAX(MAX(o.last_seen - o.ts, 0))
FROM dest_1d_old o LEFT JOIN dest_keys k ON k.remote = o.remote AND k.proto = o.proto AND k.port = o.port AND k.inbound = o.inbound
WHERE o.ts < COALESCE((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'dest_days_folded_until'), 0)
GROUP BY o.ts, o.series_id, dest ORDER BY o.ts, o.series_id, dest;

DROP TABLE dest_1h_old;
DROP TABLE dest_1d_old;
