-- Container veths were a network each (iface:vethXXXX), kept for good on the Networks page
-- and in the filter. They join the one "container links" network the collector now puts
-- them on (lib/netkind.ts isContainerLink), not metered; their usage goes with them.
INSERT INTO networks (net_key, name, kind, metered_auto, first_seen, last_seen)
  SELECT 'containers', 'container links', 'virtual', 0, MIN(first_seen), MAX(last_seen) FROM networks
  WHERE kind = 'virtual' AND (net_key GLOB 'iface:veth*' OR net_key GLOB 'iface:cali*')
  HAVING COUNT(*) > 0
  ON CONFLICT(net_key) DO NOTHING;

CREATE TEMP TABLE old_links AS
  SELECT id FROM networks WHERE kind = 'virtual' AND (net_key GLOB 'iface:veth*' OR net_key GLOB 'iface:cali*');

UPDATE series SET network_id = (SELECT id FROM networks WHERE net_key = 'containers') WHERE network_id IN (SELECT id FROM old_links);
UPDATE usage_link SET network_id = (SELECT id FROM networks WHERE net_key = 'containers') WHERE network_id IN (SELECT id FROM old_links);
UPDATE interfaces SET network_id = (SELECT id FROM networks WHERE net_key = 'containers') WHERE network_id IN (SELECT id FROM old_links);
DELETE FROM networks WHERE id IN (SELECT id FROM old_links);
DROP TABLE old_links;
