-- Destinations per local day (issue 19): closed hours, once folded to each app's top 100, are
-- added here and each closed day is folded the same way; hours are kept 7 days, days as long as
-- destination history (db/store/dest-write.ts). Same columns as dest_1h.
CREATE TABLE dest_1d (
  ts         INTEGER NOT NULL,
  series_id  INTEGER NOT NULL REFERENCES series(id),
  remote     TEXT    NOT NULL,
  proto      INTEGER NOT NULL,
  port       INTEGER NOT NULL,
  inbound    INTEGER NOT NULL,
  rx_bytes   INTEGER NOT NULL DEFAULT 0,
  tx_bytes   INTEGER NOT NULL DEFAULT 0,
  rx_packets INTEGER NOT NULL DEFAULT 0,
  tx_packets INTEGER NOT NULL DEFAULT 0,
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  PRIMARY KEY (series_id, ts, remote, proto, port, inbound)
) WITHOUT ROWID;
CREATE INDEX dest_1d_ts ON dest_1d(ts);
