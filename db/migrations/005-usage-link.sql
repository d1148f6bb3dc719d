-- Totals per (interface, network) over all apps, for every roll-up resolution (res = its bucket
-- seconds, as in lib/time RESOLUTIONS; months are 2592000). A chart's total line reads one row
-- per link and bucket instead of one per series and bucket: a year of days over 2,500 series is
-- ~1,800 rows instead of ~570,000. Written in the same transaction as the per-series rows and
-- pruned with them, so both always agree.
CREATE TABLE usage_link (
  res INTEGER NOT NULL, ts INTEGER NOT NULL, iface_id INTEGER NOT NULL, network_id INTEGER NOT NULL,
  rx_bytes INTEGER NOT NULL DEFAULT 0, tx_bytes INTEGER NOT NULL DEFAULT 0,
  rx_packets INTEGER NOT NULL DEFAULT 0, tx_packets INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (res, ts, iface_id, network_id)
) WITHOUT ROWID;

INSERT INTO usage_link SELECT 10, u.ts, s.iface_id, s.network_id, SUM(u.rx_bytes), SUM(u.tx_bytes), SUM(u.rx_packets), SUM(u.tx_packets)
FROM usage_10s u JOIN series s ON s.id = u.series_id GROUP BY u.ts, s.iface_id, s.network_id;
INSERT INTO usage_link SELECT 60, u.ts, s.iface_id, s.network_id, SUM(u.rx_bytes), SUM(u.tx_bytes), SUM(u.rx_packets), SUM(u.tx_packets)
FROM usage_1m u JOIN series s ON s.id = u.series_id GROUP BY u.ts, s.iface_id, s.network_id;
INSERT INTO usage_link SELECT 3600, u.ts, s.iface_id, s.network_id, SUM(u.rx_bytes), SUM(u.tx_bytes), SUM(u.rx_packets), SUM(u.tx_packets)
FROM usage_1h u JOIN series s ON s.id = u.series_id GROUP BY u.ts, s.iface_id, s.network_id;
INSERT INTO usage_link SELECT 86400, u.ts, s.iface_id, s.network_id, SUM(u.rx_bytes), SUM(u.tx_bytes), SUM(u.rx_packets), SUM(u.tx_packets)
FROM usage_1d u JOIN series s ON s.id = u.series_id GROUP BY u.ts, s.iface_id, s.network_id;
INSERT INTO usage_link SELECT 2592000, u.ts, s.iface_id, s.network_id, SUM(u.rx_bytes), SUM(u.tx_bytes), SUM(u.rx_packets), SUM(u.tx_packets)
FROM usage_1mo u JOIN series s ON s.id = u.series_id GROUP BY u.ts, s.iface_id, s.network_id;
