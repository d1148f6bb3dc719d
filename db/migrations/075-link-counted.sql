-- Counted by appnet next to counted by the interface (issue #20): per hour and (interface,
-- network), the growth of the interface's own counters (/sys/class/net/<if>/statistics) and what
-- appnet stored for that interface in the same polls, so the two figures cover exactly the same
-- time. A poll adds to a row only for interfaces whose counters it could compare (read before).
CREATE TABLE link_counted (
  ts                INTEGER NOT NULL,   -- start of the hour, unix s
  iface_id          INTEGER NOT NULL REFERENCES interfaces(id),
  network_id        INTEGER NOT NULL REFERENCES networks(id),
  first_at          INTEGER NOT NULL,   -- start of the earliest interval counted in this row, unix s
  appnet_rx_bytes   INTEGER NOT NULL DEFAULT 0,
  appnet_tx_bytes   INTEGER NOT NULL DEFAULT 0,
  appnet_rx_packets INTEGER NOT NULL DEFAULT 0,
  appnet_tx_packets INTEGER NOT NULL DEFAULT 0,
  iface_rx_bytes    INTEGER NOT NULL DEFAULT 0,
  iface_tx_bytes    INTEGER NOT NULL DEFAULT 0,
  iface_rx_packets  INTEGER NOT NULL DEFAULT 0,
  iface_tx_packets  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (network_id, ts, iface_id)
) WITHOUT ROWID;

-- The last read of each interface's counters, so a restarted collector resumes from it.
CREATE TABLE link_counter_state (
  name       TEXT    PRIMARY KEY,
  ifindex    INTEGER NOT NULL,
  rx_bytes   INTEGER NOT NULL,
  tx_bytes   INTEGER NOT NULL,
  rx_packets INTEGER NOT NULL,
  tx_packets INTEGER NOT NULL,
  read_at    INTEGER NOT NULL            -- unix ms
) WITHOUT ROWID;
