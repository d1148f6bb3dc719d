-- Alerts (lib/alerts.ts): recorded by the collector once per subject, read by the Health
-- page, /metrics and the dashboard's notifications. A kind turned off in alert_settings is
-- not recorded; a kind without a row is on.
CREATE TABLE alerts (
  id       INTEGER PRIMARY KEY,
  ts       INTEGER NOT NULL,
  kind     TEXT    NOT NULL CHECK (kind IN ('new-app', 'plan-80', 'plan-100', 'cap-blocked')),
  subject  TEXT    NOT NULL,
  message  TEXT    NOT NULL,
  UNIQUE (kind, subject)
);

CREATE TABLE alert_settings (
  kind     TEXT    PRIMARY KEY CHECK (kind IN ('new-app', 'plan-80', 'plan-100', 'cap-blocked')),
  enabled  INTEGER NOT NULL CHECK (enabled IN (0, 1))
);

-- When an app first carried traffic: set with its first series. Apps that already have
-- traffic are not new.
ALTER TABLE apps ADD COLUMN first_traffic INTEGER;
UPDATE apps SET first_traffic = first_seen WHERE id IN (SELECT app_id FROM series);
