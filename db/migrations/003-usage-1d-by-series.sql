-- Reads of the daily roll-up per series (app and network totals over months or years, per-day
-- reports) probe each series' run of days in this index instead of sorting every row of the
-- period. Covering: those reads never touch the table itself.
CREATE INDEX usage_1d_series ON usage_1d (series_id, ts, rx_bytes, tx_bytes, rx_packets, tx_packets);
