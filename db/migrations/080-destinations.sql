-- Per-app destinations (issue 19): bytes and packets per (hour, series, remote address, protocol,
-- port), from the BPF program's destinations map. remote '' is the series' "other destinations"
-- row of that hour: what was folded away past an app's top 100 (db/store/dest-write.ts).
-- inbound 1: the connection was made to the app and port is its own (the service's) port.
CREATE TABLE dest_1h (
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
CREATE INDEX dest_1h_ts ON dest_1h(ts);

-- Host names learned from DNS answers the machine received: address → name, with the answer's
-- expiry. Kept past the TTL (a name stays the best label for traffic already counted).
CREATE TABLE dest_names (
  addr       TEXT    NOT NULL,
  name       TEXT    NOT NULL,
  seen_at    INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (addr, name)
) WITHOUT ROWID;
