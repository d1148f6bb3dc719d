/**
 * The firewall's tables (migrations 002, 040): rules and per-app settings as the dashboard
 * and the CLI store them, what the collector reports back, and the reads it plans from.
 * Rule columns are derived from the rule schema's keys (lib/rules/model.ts RULE_KEYS).
 */
import type { Db } from '../open';
import { RULE_KEYS, type AppPolicy, type Rule, type RuleKey } from '../../lib/rules/model';
import { totalsCte } from './sql-parts';

/**
 * A stored rule: its fields under the schema's names, and the collector's bookkeeping. Rows
 * are written through the schema, but anyone with the file can write them: the collector
 * re-validates every row before it becomes nft text.
 */
export type RuleRow = Rule & {
  id: number;
  createdAt: number;
  updatedAt: number;
  version: number;
  appliedVersion: number;
  appliedAt: number | null;
  lastError: string | null;
  hitPackets: number;
  hitBytes: number;
};

export type FwAppRow = AppPolicy & {
  id: number;
  quotaUsed: number;
  quotaCycleStart: number | null;
  version: number;
  appliedVersion: number;
  lastError: string | null;
};

/** The column of a rule field: its name in snake case; the app selector is app_key. */
const column = (k: RuleKey): string => (k === 'app' ? 'app_key' : k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
const COLUMNS = RULE_KEYS.map(column);

const RULE_COLS = `id, ${RULE_KEYS.map((k) => `${column(k)} AS ${k}`).join(', ')}, created_at AS createdAt, updated_at AS updatedAt, version,
  applied_version AS appliedVersion, applied_at AS appliedAt, last_error AS lastError, hit_packets AS hitPackets, hit_bytes AS hitBytes`;

const APP_COLS = `id, app_key AS app, default_in AS defaultIn, default_out AS defaultOut, quota_bytes AS quotaBytes,
  quota_network AS quotaNetwork, quota_cycle_day AS quotaCycleDay, quota_used AS quotaUsed, quota_cycle_start AS quotaCycleStart,
  version, applied_version AS appliedVersion, last_error AS lastError`;

/** SQLite has no booleans: enabled is stored as 0/1. */
const fromRow = (r: Omit<RuleRow, 'enabled'> & { enabled: unknown }): RuleRow => ({ ...r, enabled: r.enabled === 1 });
const values = (r: Rule) => RULE_KEYS.map((k) => (typeof r[k] === 'boolean' ? (r[k] ? 1 : 0) : r[k]));

/** rowToRuleInput picks a stored row's rule fields as untrusted input, for re-validation. */
export function rowToRuleInput(r: RuleRow): Record<RuleKey, unknown> {
  return Object.fromEntries(RULE_KEYS.map((k) => [k, r[k]])) as Record<RuleKey, unknown>;
}

/** getRules lists every rule, in precedence order within each app. */
export function getRules(db: Db): RuleRow[] {
  return (db.prepare(`SELECT ${RULE_COLS} FROM rules ORDER BY app_key, priority, id`).all() as RuleRow[]).map(fromRow);
}

/** getRule returns one rule or undefined. */
export function getRule(db: Db, id: number): RuleRow | undefined {
  const r = db.prepare(`SELECT ${RULE_COLS} FROM rules WHERE id = ?`).get(id) as RuleRow | undefined;
  return r && fromRow(r);
}

/** countRulesOf counts the rules of one app selector. */
export function countRulesOf(db: Db, app: string): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM rules WHERE app_key = ?').get(app) as { n: number }).n;
}

/** ensureFwApp makes sure an app selector has its settings row (defaults: inherit, no cap) and returns its id. */
export function ensureFwApp(db: Db, appKey: string, now: number): number {
  const row = db
    .prepare(
      `INSERT INTO fw_apps (app_key, updated_at) VALUES (?, ?)
       ON CONFLICT(app_key) DO UPDATE SET app_key = excluded.app_key RETURNING id`,
    )
    .get(appKey, now) as { id: number };
  return row.id;
}

const INSERT_RULE = `INSERT INTO rules (${COLUMNS.join(', ')}, created_at, updated_at) VALUES (${COLUMNS.map(() => '?').join(', ')}, ?, ?) RETURNING id`;
const UPDATE_RULE = `UPDATE rules SET ${COLUMNS.map((c) => `${c} = ?`).join(', ')}, updated_at = ?, version = version + 1, last_error = NULL WHERE id = ?`;

/** insertRule stores a validated rule (and its app's settings row) and returns its id. */
export function insertRule(db: Db, r: Rule, now: number): number {
  return db.transaction(() => {
    ensureFwApp(db, r.app, now);
    return (db.prepare(INSERT_RULE).get(...values(r), now, now) as { id: number }).id;
  })();
}

/** updateRule replaces a rule with a validated version and bumps its version; false if it does not exist. */
export function updateRule(db: Db, id: number, r: Rule, now: number): boolean {
  return db.transaction(() => {
    ensureFwApp(db, r.app, now);
    return db.prepare(UPDATE_RULE).run(...values(r), now, id).changes > 0;
  })();
}

/** setRuleEnabled switches a stored rule on or off as it is (also one that fails validation); false if it does not exist. */
export function setRuleEnabled(db: Db, id: number, enabled: boolean, now: number): boolean {
  return db.prepare('UPDATE rules SET enabled = ?, updated_at = ?, version = version + 1, last_error = NULL WHERE id = ?').run(enabled ? 1 : 0, now, id).changes > 0;
}

/** deleteRule removes a rule; false if it did not exist. */
export function deleteRule(db: Db, id: number): boolean {
  return db.prepare('DELETE FROM rules WHERE id = ?').run(id).changes > 0;
}

/** getFwApps lists every app selector's settings. */
export function getFwApps(db: Db): FwAppRow[] {
  return db.prepare(`SELECT ${APP_COLS} FROM fw_apps ORDER BY app_key`).all() as FwAppRow[];
}

/** getFwApp returns one app selector's settings, or undefined. */
export function getFwApp(db: Db, app: string): FwAppRow | undefined {
  return db.prepare(`SELECT ${APP_COLS} FROM fw_apps WHERE app_key = ?`).get(app) as FwAppRow | undefined;
}

/**
 * upsertAppPolicy stores validated per-app settings and returns the row id. A cap that is
 * set, changed or moved is seeded again at the next apply (the collector fills it from the
 * store); its use so far is kept while it counts the same networks.
 */
export function upsertAppPolicy(db: Db, p: AppPolicy, now: number): number {
  const row = db
    .prepare(
      `INSERT INTO fw_apps (app_key, default_in, default_out, quota_bytes, quota_network, quota_cycle_day, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(app_key) DO UPDATE SET default_in = excluded.default_in, default_out = excluded.default_out,
         quota_bytes = excluded.quota_bytes, quota_network = excluded.quota_network, quota_cycle_day = excluded.quota_cycle_day,
         quota_used = CASE WHEN excluded.quota_bytes IS NULL OR excluded.quota_network != quota_network THEN 0 ELSE quota_used END,
         quota_cycle_start = CASE WHEN excluded.quota_bytes IS quota_bytes AND excluded.quota_network = quota_network THEN quota_cycle_start END,
         updated_at = excluded.updated_at, version = version + 1, last_error = NULL
       RETURNING id`,
    )
    .get(p.app, p.defaultIn, p.defaultOut, p.quotaBytes, p.quotaNetwork, p.quotaCycleDay, now) as { id: number };
  return row.id;
}

/** deleteFwApp removes an app selector's settings row (only possible once it has no rules); false if there was none. */
export function deleteFwApp(db: Db, app: string): boolean {
  return db.prepare('DELETE FROM fw_apps WHERE app_key = ?').run(app).changes > 0;
}

/** deleteIdleFwApp removes a settings row that says nothing (inherit, no cap) and anchors no rule. */
export function deleteIdleFwApp(db: Db, app: string): boolean {
  return (
    db
      .prepare(
        `DELETE FROM fw_apps WHERE app_key = ? AND default_in = 'inherit' AND default_out = 'inherit' AND quota_bytes IS NULL
           AND NOT EXISTS (SELECT 1 FROM rules WHERE rules.app_key = fw_apps.app_key)`,
      )
      .run(app).changes > 0
  );
}

export interface AppliedVersion {
  id: number;
  version: number;
}

/**
 * markFirewallApplied records an apply the kernel took: the versions now in it and the
 * objects left there. `error` keeps fw_state's error (a fallback plan went in instead of
 * the wanted one); rows not in the batch keep theirs.
 */
export function markFirewallApplied(db: Db, a: { rules: AppliedVersion[]; apps: AppliedVersion[]; objects: string; now: number; error?: string | null }): void {
  db.transaction(() => {
    const r = db.prepare('UPDATE rules SET applied_version = ?, applied_at = ?, last_error = NULL WHERE id = ? AND version = ?');
    for (const v of a.rules) r.run(v.version, a.now, v.id, v.version);
    const p = db.prepare('UPDATE fw_apps SET applied_version = ?, last_error = NULL WHERE id = ? AND version = ?');
    for (const v of a.apps) p.run(v.version, v.id, v.version);
    db.prepare('UPDATE fw_state SET objects = ?, last_try = ?, last_ok = ?, last_error = ? WHERE id = 1').run(a.objects, a.now, a.now, a.error ?? null);
  })();
}

/** markFirewallFailed records why an apply (or the plan) failed on every rule and app whose current version is not in the kernel. */
export function markFirewallFailed(db: Db, error: string, now: number): void {
  db.transaction(() => {
    db.prepare('UPDATE rules SET last_error = ? WHERE applied_version != version').run(error);
    db.prepare('UPDATE fw_apps SET last_error = ? WHERE applied_version != version').run(error);
    db.prepare('UPDATE fw_state SET last_try = ?, last_error = ? WHERE id = 1').run(now, error);
  })();
}

/** markFirewallTried records a failure in fw_state alone (the rows could not be written, or are not to blame). */
export function markFirewallTried(db: Db, error: string, now: number): void {
  db.prepare('UPDATE fw_state SET last_try = ?, last_error = ? WHERE id = 1').run(now, error);
}

/** markFirewallLost records that the kernel holds none of our firewall (a table re-created without it): nothing is applied. */
export function markFirewallLost(db: Db, error: string, now: number): void {
  db.transaction(() => {
    db.prepare('UPDATE rules SET applied_version = 0, last_error = ?').run(error);
    db.prepare('UPDATE fw_apps SET applied_version = 0, last_error = ?').run(error);
    db.prepare("UPDATE fw_state SET objects = '{\"chains\":[],\"counters\":[],\"quotas\":[]}', last_try = ?, last_error = ? WHERE id = 1").run(now, error);
  })();
}

/** markRuleInvalid stores why a rule was left out of the batch (it failed re-validation in the collector). */
export function markRuleInvalid(db: Db, id: number, error: string): void {
  db.prepare('UPDATE rules SET last_error = ? WHERE id = ?').run(error, id);
}

/** markFwAppInvalid stores why an app's settings row was left out of the batch. */
export function markFwAppInvalid(db: Db, id: number, error: string): void {
  db.prepare('UPDATE fw_apps SET last_error = ? WHERE id = ?').run(error, id);
}

export interface FwStateRow {
  objects: string;
  lastTry: number | null;
  lastOk: number | null;
  lastError: string | null;
}

/** getFwState returns the outcome of the last apply and the objects it left in the kernel. */
export function getFwState(db: Db): FwStateRow {
  return db.prepare('SELECT objects, last_try AS lastTry, last_ok AS lastOk, last_error AS lastError FROM fw_state WHERE id = 1').get() as FwStateRow;
}

/** getGoodPlan returns the desired state of the last apply the kernel took (JSON), or null. */
export function getGoodPlan(db: Db): string | null {
  return (db.prepare('SELECT good_plan AS plan FROM fw_state WHERE id = 1').get() as { plan: string | null }).plan;
}

/** setGoodPlan stores the desired state of an apply the kernel took, for when planning fails later. */
export function setGoodPlan(db: Db, plan: string): void {
  db.prepare('UPDATE fw_state SET good_plan = ? WHERE id = 1').run(plan);
}

/** setQuotaUse stores the bytes a quota has counted in the billing cycle starting at cycleStart. */
export function setQuotaUse(db: Db, appId: number, used: number, cycleStart: number): void {
  db.prepare('UPDATE fw_apps SET quota_used = ?, quota_cycle_start = ? WHERE id = ?').run(used, cycleStart, appId);
}

/** setRuleHits stores what a rule's nft counter has counted. */
export function setRuleHits(db: Db, id: number, packets: number, bytes: number): void {
  db.prepare('UPDATE rules SET hit_packets = ?, hit_bytes = ? WHERE id = ?').run(packets, bytes, id);
}

export interface FwIfaceRow {
  name: string;
  kind: string;
  metered: number;
}

/** getFirewallIfaces lists known interfaces with kind and metered flag (the user's setting wins). */
export function getFirewallIfaces(db: Db): FwIfaceRow[] {
  return db
    .prepare(
      `SELECT i.name, i.kind, COALESCE(n.metered_user, n.metered_auto, CASE WHEN i.kind = 'mobile' THEN 1 ELSE 0 END) AS metered
       FROM interfaces i LEFT JOIN networks n ON n.id = i.network_id ORDER BY i.name`,
    )
    .all() as FwIfaceRow[];
}

/** getAppIdsOfSelector lists the apps a selector names: the app of that key, or the apps of cgroups at or below that path. */
export function getAppIdsOfSelector(db: Db, selector: string): number[] {
  const rows = db
    .prepare(
      `SELECT id FROM apps WHERE app_key = @s
       UNION SELECT app_id FROM cgroups WHERE path = @s OR substr(path, 1, length(@s) + 1) = @s || '/'`,
    )
    .all({ s: selector }) as Array<{ id: number }>;
  return rows.map((r) => r.id);
}

/** getKnownApps lists the apps the collector has seen (not the unattributed traffic), by name, for the app picker. */
export function getKnownApps(db: Db): Array<{ key: string; name: string; kind: string }> {
  return db.prepare("SELECT app_key AS key, name, kind FROM apps WHERE kind != 'unattributed' ORDER BY name COLLATE NOCASE, app_key").all() as Array<{ key: string; name: string; kind: string }>;
}

/** getAttributedAppIds lists every app except the unattributed traffic. */
export function getAttributedAppIds(db: Db): number[] {
  return (db.prepare("SELECT id FROM apps WHERE kind != 'unattributed'").all() as Array<{ id: number }>).map((r) => r.id);
}

/** getAppBytes sums what the store holds for one app (both directions) on these interfaces (all: undefined) in [since, now). */
export function getAppBytes(db: Db, appId: number, opts: { since: number; now: number; ifaces?: string[] }): number {
  const cte = totalsCte(db, { since: opts.since, until: opts.now, ifaces: opts.ifaces }, opts.now, { appId });
  return (db.prepare(`${cte.sql} SELECT COALESCE(SUM(rx + tx), 0) AS b FROM t`).get(...cte.params) as { b: number }).b;
}

/**
 * getFirewallSignature changes whenever the desired firewall state changes (a rule or an
 * app's settings added, edited or removed): the collector re-plans when it differs.
 */
export function getFirewallSignature(db: Db): string {
  const r = db
    .prepare(
      `SELECT (SELECT COUNT(*) || '.' || COALESCE(SUM(version), 0) || '.' || COALESCE(MAX(id), 0) FROM rules) || '/' ||
              (SELECT COUNT(*) || '.' || COALESCE(SUM(version), 0) || '.' || COALESCE(MAX(id), 0) FROM fw_apps) AS sig`,
    )
    .get() as { sig: string };
  return r.sig;
}
