-- The app page's live connections (issue 19): the sockets each watched app holds now, from the
-- collector's sock_diag listing, taken every 2 s while the dashboard shows the app and replaced
-- whole in one transaction (collector/live.ts). An app nobody has looked at for 15 s loses its
-- rows: nothing here is history.
CREATE TABLE live_snapshots (
  app_id      INTEGER PRIMARY KEY,
  taken_at    INTEGER NOT NULL,             -- unix ms
  connections INTEGER NOT NULL,             -- the app's connections then (live_sockets keeps the busiest 200)
  listening   INTEGER NOT NULL              -- its open ports then (live_sockets keeps 50)
);

CREATE TABLE live_sockets (
  app_id      INTEGER NOT NULL,
  proto       INTEGER NOT NULL,             -- 6 tcp, 17 udp
  state       INTEGER NOT NULL,             -- the kernel's TCP state number (udp: 1 connected, 7 not)
  listening   INTEGER NOT NULL,             -- 1: an open port (tcp listen, udp without a peer)
  inbound     INTEGER NOT NULL,             -- 1: a connection made to one of the app's open ports
  local_addr  TEXT    NOT NULL,
  local_port  INTEGER NOT NULL,
  remote      TEXT    NOT NULL,             -- '' without a peer
  remote_port INTEGER NOT NULL,
  rx_bytes    INTEGER,                      -- tcp: received; NULL for udp
  tx_bytes    INTEGER                       -- tcp: sent and acknowledged; NULL for udp
);
CREATE INDEX live_sockets_app ON live_sockets(app_id);
