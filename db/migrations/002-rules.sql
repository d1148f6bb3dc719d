-- Firewall rules per app. The dashboard and the CLI write the desired state; the
-- collector (root) re-validates every row, applies all of them as one nft batch and
-- writes back what happened. A row is applied when applied_version = version.

-- Per-app settings: default policy per direction and an optional data cap. One row
-- per app selector that has rules or settings ('*' = all apps without their own).
CREATE TABLE fw_apps (
  id                INTEGER PRIMARY KEY AUTOINCREMENT, -- names the nft chains fw_a<id>_in/out and quota fw_q<id>
  app_key           TEXT    NOT NULL UNIQUE,
  default_in        TEXT    NOT NULL DEFAULT 'inherit' CHECK (default_in IN ('inherit', 'allow', 'drop', 'reject')),
  default_out       TEXT    NOT NULL DEFAULT 'inherit' CHECK (default_out IN ('inherit', 'allow', 'drop', 'reject')),
  quota_bytes       INTEGER CHECK (quota_bytes IS NULL OR quota_bytes > 0),
  quota_network     TEXT    NOT NULL DEFAULT 'metered' CHECK (quota_network IN ('any', 'metered', 'mobile')),
  quota_cycle_day   INTEGER NOT NULL DEFAULT 1 CHECK (quota_cycle_day BETWEEN 1 AND 28),
  quota_used        INTEGER NOT NULL DEFAULT 0,    -- bytes counted by the kernel this cycle (last read)
  quota_cycle_start INTEGER,                       -- unix s: start of the cycle quota_used belongs to
  version           INTEGER NOT NULL DEFAULT 1,
  applied_version   INTEGER NOT NULL DEFAULT 0,
  last_error        TEXT,
  updated_at        INTEGER NOT NULL
);

CREATE TABLE rules (
  id              INTEGER PRIMARY KEY AUTOINCREMENT, -- names the nft counter fw_r<id> and tags rules 'appnet:r<id>'
  app_key         TEXT    NOT NULL REFERENCES fw_apps(app_key) ON UPDATE CASCADE,
  direction       TEXT    NOT NULL,                -- in | out | both
  action          TEXT    NOT NULL,                -- allow | drop | reject | count
  protocol        TEXT    NOT NULL DEFAULT 'any',  -- any | tcp | udp | icmp
  remote          TEXT,                            -- canonical CIDR list, comma-separated, NULL = anywhere
  local_port      TEXT,                            -- '80,1000-2000', NULL = any
  remote_port     TEXT,
  network         TEXT    NOT NULL DEFAULT 'any',  -- any | metered | mobile
  iface           TEXT,                            -- one named interface instead of a class
  comment         TEXT    NOT NULL DEFAULT '',
  enabled         INTEGER NOT NULL DEFAULT 1,
  priority        INTEGER NOT NULL DEFAULT 100,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  version         INTEGER NOT NULL DEFAULT 1,      -- bumped on every change
  applied_version INTEGER NOT NULL DEFAULT 0,      -- version the kernel holds
  applied_at      INTEGER,
  last_error      TEXT,                            -- why the last apply of this version failed
  hit_packets     INTEGER NOT NULL DEFAULT 0,      -- from the rule's nft counter
  hit_bytes       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX rules_app ON rules(app_key);

-- What the last successful apply left in the kernel (chains, counters, quotas), so the
-- next one removes what is no longer wanted; plus the outcome of the last attempt.
CREATE TABLE fw_state (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  objects     TEXT    NOT NULL DEFAULT '{"chains":[],"counters":[],"quotas":[]}',
  last_try    INTEGER,
  last_ok     INTEGER,
  last_error  TEXT
);
INSERT INTO fw_state (id) VALUES (1);
