-- appnet store, first schema. All times are unix seconds (UTC); byte and packet
-- counts are integers. The collector is the only writer of every table below
-- except `networks`' user columns and `rules` (added later), which the dashboard writes.

-- One row per application identity: what a user thinks of as "an app".
-- Instances (scope suffixes, restarts with a new cgroup id) share one row.
CREATE TABLE apps (
  id          INTEGER PRIMARY KEY,
  app_key     TEXT    NOT NULL UNIQUE,      -- stable identity, e.g. 'nginx.service', 'app:org.mozilla.firefox'
  kind        TEXT    NOT NULL,             -- service | user-service | app | scope | slice | other | unattributed
  name        TEXT    NOT NULL,             -- readable name shown to people
  unit        TEXT,                         -- latest systemd unit name, when there is one
  exe         TEXT,                         -- latest main executable seen in /proc
  first_seen  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL
);

-- Every cgroup we have seen, kept after it disappears so its last bytes keep a name.
CREATE TABLE cgroups (
  cgroup_id   INTEGER PRIMARY KEY,          -- kernel cgroup id (= inode of its directory)
  path        TEXT    NOT NULL,             -- relative to the cgroup root, e.g. 'system.slice/nginx.service'
  level       INTEGER NOT NULL,             -- depth below the root (system.slice = 1)
  app_id      INTEGER NOT NULL REFERENCES apps(id),
  first_seen  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  gone_at     INTEGER                       -- set when the directory disappeared
);
CREATE INDEX cgroups_app ON cgroups(app_id);

-- A network is what the metered flag and billing cycle belong to: a Wi-Fi SSID,
-- a NetworkManager connection, or the interface itself when nothing better is known.
CREATE TABLE networks (
  id              INTEGER PRIMARY KEY,
  net_key         TEXT    NOT NULL UNIQUE,  -- 'wifi:<ssid>', 'conn:<name>', 'iface:<ifname>', 'none'
  name            TEXT    NOT NULL,
  kind            TEXT    NOT NULL,         -- wifi | ethernet | mobile | tethering | vpn | loopback | virtual | other
  metered_auto    INTEGER,                  -- 1/0 from NetworkManager or the interface kind, NULL if unknown
  metered_user    INTEGER,                  -- 1/0 set by the user; wins over metered_auto
  cycle_start_day INTEGER NOT NULL DEFAULT 1 CHECK (cycle_start_day BETWEEN 1 AND 28),
  plan_bytes      INTEGER CHECK (plan_bytes IS NULL OR plan_bytes > 0),
  first_seen      INTEGER NOT NULL,
  last_seen       INTEGER NOT NULL
);

CREATE TABLE interfaces (
  id          INTEGER PRIMARY KEY,
  name        TEXT    NOT NULL UNIQUE,
  kind        TEXT    NOT NULL,             -- same vocabulary as networks.kind
  network_id  INTEGER REFERENCES networks(id), -- the network it is on now
  mac         TEXT,
  first_seen  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL
);

-- A series is one (app, interface, network) triple; usage rows point at it.
CREATE TABLE series (
  id          INTEGER PRIMARY KEY,
  app_id      INTEGER NOT NULL REFERENCES apps(id),
  iface_id    INTEGER NOT NULL REFERENCES interfaces(id),
  network_id  INTEGER NOT NULL REFERENCES networks(id),
  UNIQUE (app_id, iface_id, network_id)
);
CREATE INDEX series_network ON series(network_id);

-- Roll-ups, written together on every poll (one upsert per level), so that each
-- is always complete and a chart reads the coarsest table that fits its range.
-- ts is the start of the bucket; usage_1d buckets start at local midnight.
CREATE TABLE usage_10s (
  ts INTEGER NOT NULL, series_id INTEGER NOT NULL,
  rx_bytes INTEGER NOT NULL DEFAULT 0, tx_bytes INTEGER NOT NULL DEFAULT 0,
  rx_packets INTEGER NOT NULL DEFAULT 0, tx_packets INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (ts, series_id)
) WITHOUT ROWID;
CREATE TABLE usage_1m (
  ts INTEGER NOT NULL, series_id INTEGER NOT NULL,
  rx_bytes INTEGER NOT NULL DEFAULT 0, tx_bytes INTEGER NOT NULL DEFAULT 0,
  rx_packets INTEGER NOT NULL DEFAULT 0, tx_packets INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (ts, series_id)
) WITHOUT ROWID;
CREATE TABLE usage_1h (
  ts INTEGER NOT NULL, series_id INTEGER NOT NULL,
  rx_bytes INTEGER NOT NULL DEFAULT 0, tx_bytes INTEGER NOT NULL DEFAULT 0,
  rx_packets INTEGER NOT NULL DEFAULT 0, tx_packets INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (ts, series_id)
) WITHOUT ROWID;
CREATE TABLE usage_1d (
  ts INTEGER NOT NULL, series_id INTEGER NOT NULL,
  rx_bytes INTEGER NOT NULL DEFAULT 0, tx_bytes INTEGER NOT NULL DEFAULT 0,
  rx_packets INTEGER NOT NULL DEFAULT 0, tx_packets INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (ts, series_id)
) WITHOUT ROWID;

-- Last counter values read from the kernel, written in the same transaction as
-- the usage they produced: a restarted collector resumes from here, so a crash
-- neither loses nor double-counts. table_handle identifies one incarnation of
-- our nft table (a re-created table restarts every counter from zero).
CREATE TABLE counter_state (
  set_name     TEXT    NOT NULL,            -- 'acct_in', 'acct_out', 'unattr_in', 'unattr_out'
  elem_key     TEXT    NOT NULL,            -- '<cgroup id>|<ifname>' or '|<ifname>'
  table_handle INTEGER NOT NULL,
  bytes        INTEGER NOT NULL,
  packets      INTEGER NOT NULL,
  seen_at      INTEGER NOT NULL,            -- when it was read (unix ms)
  expires_at   INTEGER,                     -- when the kernel element would expire unless refreshed (unix ms)
  PRIMARY KEY (set_name, elem_key)
) WITHOUT ROWID;

-- Collector health, one row per source plus 'poll'; the dashboard shows it.
CREATE TABLE collector_status (
  source      TEXT PRIMARY KEY,
  ok          INTEGER NOT NULL,
  last_run    INTEGER NOT NULL,             -- unix ms
  last_ok     INTEGER,                      -- unix ms
  duration_ms REAL    NOT NULL,
  error       TEXT,
  detail      TEXT                          -- JSON: set fill, element counts, …
);

-- Things worth telling the user: counter resets, table re-created, gaps, full sets.
CREATE TABLE events (
  id      INTEGER PRIMARY KEY,
  ts      INTEGER NOT NULL,                 -- unix ms
  level   TEXT    NOT NULL,                 -- info | warn | error
  kind    TEXT    NOT NULL,
  message TEXT    NOT NULL
);
CREATE INDEX events_ts ON events(ts);

-- Key/value settings shared by collector and dashboard (e.g. 'install_id').
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
