import type { Db } from '../open';
import type { AppPolicy, Rule, RuleInput } from '../../lib/rules/model';
import { portsText } from '../../lib/rules/values';

export interface RuleRow {
  id: number;
  appKey: string;
  direction: string;
  action: string;
  protocol: string;
  remote: string | null;
  localPort: string | null;
  remotePort: string | null;
  network: string;
  iface: string | null;
  comment: string;
  enabled: number;
  priority: number;
  createdAt: number;
  updatedAt: number;
  version: number;
  appliedVersion: number;
  appliedAt: number | null;
  lastError: string | null;
  hitPackets: number;
  hitBytes: number;
}

export interface FwAppRow {
  id: number;
  appKey: string;
  defaultIn: string;
  defaultOut: string;
  quotaBytes: number | null;
  quotaNetwork: string;
  quotaCycleDay: number;
  quotaUsed: number;
  quotaCycleStart: number | null;
  version: number;
  appliedVersion: number;
  lastError: string | null;
}

const RULE_COLS = `id, app_key AS appKey, direction, action, protocol, remote, local_port AS localPort, remote_port AS remotePort,
  network, iface, comment, enabled, priority, created_at AS createdAt, updated_at AS updatedAt, version,
  applied_version AS appliedVersion, applied_at AS appliedAt, last_error AS lastError, hit_packets AS hitPackets, hit_bytes AS hitBytes`;

const APP_COLS = `id, app_key AS appKey, default_in AS defaultIn, default_out AS defaultOut, quota_bytes AS quotaBytes,
  quota_network AS quotaNetwork, quota_cycle_day AS quotaCycleDay, quota_used AS quotaUsed, quota_cycle_start AS quotaCycleStart,
  version, applied_version AS appliedVersion, last_error AS lastError`;

/** rowToRuleInput turns a stored row back into untrusted rule input, for re-validation. */
export function rowToRuleInput(r: RuleRow): RuleInput {
  return {
    app: r.appKey,
    direction: r.direction as RuleInput['direction'],
    action: r.action as RuleInput['action'],
    protocol: r.protocol as RuleInput['protocol'],
    remote: r.remote,
    localPort: r.localPort,
    remotePort: r.remotePort,
    network: r.network as RuleInput['network'],
    iface: r.iface,
    comment: r.comment,
    enabled: r.enabled === 1,
    priority: r.priority,
  };
}

/** getRules lists every rule, in precedence order within each app. */
export function getRules(db: Db): RuleRow[] {
  return db.prepare(`SELECT ${RULE_COLS} FROM rules ORDER BY app_key, priority, id`).all() as RuleRow[];
}

/** getRule returns one rule or undefined. */
export function getRule(db: Db, id: number): RuleRow | undefined {
  return db.prepare(`SELECT ${RULE_COLS} FROM rules WHERE id = ?`).get(id) as RuleRow | undefined;
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

const ruleValues = (r: Rule) => [
  r.app, r.direction, r.action, r.protocol,
  [...r.remoteV4, ...r.remoteV6].join(',') || null,
  portsText(r.localPorts) || null,
  portsText(r.remotePorts) || null,
  r.network === 'iface' ? 'any' : r.network,
  r.iface, r.comment, r.enabled ? 1 : 0, r.priority,
];

/** insertRule stores a validated rule (and its app's settings row) and returns its id. */
export function insertRule(db: Db, r: Rule, now: number): number {
  return db.transaction(() => {
    ensureFwApp(db, r.app, now);
    const row = db
      .prepare(
        `INSERT INTO rules (app_key, direction, action, protocol, remote, local_port, remote_port, network, iface, comment, enabled, priority, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      )
      .get(...ruleValues(r), now, now) as { id: number };
    return row.id;
  })();
}

/** updateRule replaces a rule with a validated version and bumps its version; false if it does not exist. */
export function updateRule(db: Db, id: number, r: Rule, now: number): boolean {
  return db.transaction(() => {
    ensureFwApp(db, r.app, now);
    return (
      db
        .prepare(
          `UPDATE rules SET app_key = ?, direction = ?, action = ?, protocol = ?, remote = ?, local_port = ?, remote_port = ?,
             network = ?, iface = ?, comment = ?, enabled = ?, priority = ?, updated_at = ?, version = version + 1, last_error = NULL
           WHERE id = ?`,
        )
        .run(...ruleValues(r), now, id).changes > 0
    );
  })();
}

/** setRuleEnabled switches a rule on or off; false if it does not exist. */
export function setRuleEnabled(db: Db, id: number, enabled: boolean, now: number): boolean {
  return (
    db
      .prepare('UPDATE rules SET enabled = ?, updated_at = ?, version = version + 1, last_error = NULL WHERE id = ? AND enabled != ?')
      .run(enabled ? 1 : 0, now, id, enabled ? 1 : 0).changes > 0 || getRule(db, id) !== undefined
  );
}

/** deleteRule removes a rule; false if it did not exist. */
export function deleteRule(db: Db, id: number): boolean {
  return db.prepare('DELETE FROM rules WHERE id = ?').run(id).changes > 0;
}

/** getFwApps lists every app selector's settings. */
export function getFwApps(db: Db): FwAppRow[] {
  return db.prepare(`SELECT ${APP_COLS} FROM fw_apps ORDER BY app_key`).all() as FwAppRow[];
}

/** upsertAppPolicy stores validated per-app settings and returns the row id; quota use is kept. */
export function upsertAppPolicy(db: Db, p: AppPolicy, now: number): number {
  const row = db
    .prepare(
      `INSERT INTO fw_apps (app_key, default_in, default_out, quota_bytes, quota_network, quota_cycle_day, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(app_key) DO UPDATE SET default_in = excluded.default_in, default_out = excluded.default_out,
         quota_bytes = excluded.quota_bytes, quota_network = excluded.quota_network, quota_cycle_day = excluded.quota_cycle_day,
         updated_at = excluded.updated_at, version = version + 1, last_error = NULL
       RETURNING id`,
    )
    .get(p.app, p.defaultIn, p.defaultOut, p.quotaBytes, p.quotaNetwork, p.quotaCycleDay, now) as { id: number };
  return row.id;
}

export interface AppliedVersion {
  id: number;
  version: number;
}

/** markFirewallApplied records a successful apply: the versions now in the kernel and the objects left there. */
export function markFirewallApplied(db: Db, a: { rules: AppliedVersion[]; apps: AppliedVersion[]; objects: string; now: number }): void {
  db.transaction(() => {
    const r = db.prepare('UPDATE rules SET applied_version = ?, applied_at = ?, last_error = NULL WHERE id = ? AND version = ?');
    for (const v of a.rules) r.run(v.version, a.now, v.id, v.version);
    const p = db.prepare('UPDATE fw_apps SET applied_version = ?, last_error = NULL WHERE id = ? AND version = ?');
    for (const v of a.apps) p.run(v.version, v.id, v.version);
    db.prepare('UPDATE fw_state SET objects = ?, last_try = ?, last_ok = ?, last_error = NULL WHERE id = 1').run(a.objects, a.now, a.now);
  })();
}

/** markFirewallFailed records why an apply failed on every rule and app whose current version is not in the kernel. */
export function markFirewallFailed(db: Db, error: string, now: number): void {
  db.transaction(() => {
    db.prepare('UPDATE rules SET last_error = ? WHERE applied_version != version').run(error);
    db.prepare('UPDATE fw_apps SET last_error = ? WHERE applied_version != version').run(error);
    db.prepare('UPDATE fw_state SET last_try = ?, last_error = ? WHERE id = 1').run(now, error);
  })();
}

/** markRuleInvalid stores why a rule was left out of the batch (it failed re-validation in the collector). */
export function markRuleInvalid(db: Db, id: number, error: string): void {
  db.prepare('UPDATE rules SET last_error = ? WHERE id = ?').run(error, id);
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

/** setQuotaUse stores the bytes a quota has counted in the current cycle. */
export function setQuotaUse(db: Db, appId: number, used: number, cycleStart: number): void {
  db.prepare('UPDATE fw_apps SET quota_used = ?, quota_cycle_start = ? WHERE id = ?').run(used, cycleStart, appId);
}

/** setRuleHits stores what a rule's nft counter has counted. */
export function setRuleHits(db: Db, id: number, packets: number, bytes: number): void {
  db.prepare('UPDATE rules SET hit_packets = ?, hit_bytes = ? WHERE id = ?').run(packets, bytes, id);
}

/** initQuotaCycle stamps the cycle a new quota starts counting in (only if none is set yet). */
export function initQuotaCycle(db: Db, appId: number, cycleStart: number): void {
  db.prepare('UPDATE fw_apps SET quota_cycle_start = ? WHERE id = ? AND quota_cycle_start IS NULL').run(cycleStart, appId);
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

/**
 * getFirewallSignature changes whenever the desired firewall state changes (a rule or an
 * app's settings added, edited or removed): the collector re-plans when it differs.
 */
export function getFirewallSignature(db: Db): string {
  const r = db
    .prepare(
      `SELECT (SELECT COUNT(*) || '.' || COALESCE(SUM(version), 0) || '.' || COALESCE(MAX(id), 0) FROM rules) || '/' ||
              (SELECT COUNT(*) || '.' || COALESCE(SUM(version), 0) FROM fw_apps) AS sig`,
    )
    .get() as { sig: string };
  return r.sig;
}
