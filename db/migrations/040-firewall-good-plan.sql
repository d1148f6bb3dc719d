-- The firewall keeps working when planning fails (a row nobody can fix at once, a
-- broken store): fw_state.good_plan holds the desired state of the last apply the
-- kernel took (JSON of validated rules and app settings), rebuilt for the live cgroups
-- when a new plan cannot be made, also after a restart.
ALTER TABLE fw_state ADD COLUMN good_plan TEXT;

-- Data caps now count the whole billing cycle: a cap is seeded with what the store
-- counted this cycle before it was set. Caps set before this version counted only from
-- when they were set; forgetting their cycle start makes the collector seed them once
-- (from the larger of the kernel's count and the store's).
UPDATE fw_apps SET quota_cycle_start = NULL WHERE quota_bytes IS NOT NULL;
