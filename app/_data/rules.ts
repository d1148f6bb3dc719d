/**
 * The rules page's and API's data layer: plain serialisable views of the desired firewall
 * state, and the writes (validated with the same zod schemas the collector re-checks
 * with). The dashboard never runs nft; the collector applies what is stored here.
 */
import { hasTable, type Db } from '../../db/open';
import {
  deleteRule, getFwApps, getFwState, getRule, getRules, insertRule, rowToRuleInput, setRuleEnabled, updateRule, upsertAppPolicy,
  type FwAppRow, type RuleRow,
} from '../../db/queries/rules';
import { getAttributedAppKeys } from '../../db/queries/apps';
import { appIdentity } from '../../lib/identity';
import {
  PRECEDENCE, rulePatchSchema, fieldErrors, validateAppPolicy, validateRule, type FieldErrors,
} from '../../lib/rules/model';
import { applyStatus } from '../../lib/rules/status';
import type { AppPolicyView, RuleView, RulesView } from '../../lib/rules/view';

export type { AppPolicyView, RuleView, RulesView };
import { withWritableStore, writeFailureMessage } from './db';

export type WriteResult<T> = { ok: true; value: T } | { ok: false; status: 400 | 404 | 409 | 503; message: string; fields: FieldErrors };

const appName = (key: string) => (key === '*' ? 'All other apps' : key.includes('/') ? appIdentity(key).name : key.replace(/^(app|user):/, ''));

/** ruleView turns a stored rule into what the page and the API show. */
export function ruleView(r: RuleRow): RuleView {
  return {
    id: r.id, app: r.appKey, appName: appName(r.appKey), direction: r.direction, action: r.action, protocol: r.protocol,
    remote: r.remote ?? '', localPort: r.localPort ?? '', remotePort: r.remotePort ?? '', network: r.network, iface: r.iface ?? '',
    comment: r.comment, enabled: r.enabled === 1, priority: r.priority, status: applyStatus(r), lastError: r.lastError,
    hitPackets: r.hitPackets, hitBytes: r.hitBytes,
  };
}

function appView(a: FwAppRow): AppPolicyView {
  return {
    app: a.appKey, appName: appName(a.appKey), defaultIn: a.defaultIn, defaultOut: a.defaultOut, quotaBytes: a.quotaBytes,
    quotaNetwork: a.quotaNetwork, quotaCycleDay: a.quotaCycleDay, quotaUsed: a.quotaUsed,
    status: applyStatus({ version: a.version, appliedVersion: a.appliedVersion, lastError: a.lastError }), lastError: a.lastError,
  };
}

/** getRulesView reads everything the rules page shows; null when the store predates the rules table. */
export function getRulesView(db: Db, opts: { app?: string } = {}): RulesView | null {
  if (!hasTable(db, 'rules')) return null;
  const rules = getRules(db).filter((r) => !opts.app || r.appKey === opts.app).map(ruleView);
  const apps = getFwApps(db).filter((a) => !opts.app || a.appKey === opts.app).map(appView);
  const s = getFwState(db);
  return { rules, apps, precedence: PRECEDENCE, lastApply: { lastTry: s.lastTry, lastOk: s.lastOk, lastError: s.lastError }, knownApps: getAttributedAppKeys(db) };
}

function write<T>(fn: (db: Db) => WriteResult<T>): WriteResult<T> {
  try {
    return withWritableStore((db) => {
      if (!hasTable(db, 'rules')) return { ok: false, status: 503, message: 'The store has no rules table yet: restart the collector so it upgrades the database.', fields: {} };
      return fn(db);
    });
  } catch (err) {
    return { ok: false, status: 503, message: writeFailureMessage('saving a rule', err), fields: {} };
  }
}

const now = () => Math.floor(Date.now() / 1000);
const notFound = (id: number) => ({ ok: false as const, status: 404 as const, message: `There is no rule ${id}.`, fields: {} });

/** createRule validates and stores a new rule. */
export function createRule(input: unknown): WriteResult<RuleView> {
  const v = validateRule(input);
  if (!v.ok) return { ok: false, status: 400, message: v.message, fields: v.errors };
  return write((db) => {
    const id = insertRule(db, v.value, now());
    return { ok: true, value: ruleView(getRule(db, id) as RuleRow) };
  });
}

/** patchRule merges a partial change into a rule, re-validates the whole and stores it. */
export function patchRule(id: number, patch: unknown): WriteResult<RuleView> {
  const p = rulePatchSchema.safeParse(patch);
  if (!p.success) {
    const fields = fieldErrors(p.error);
    return { ok: false, status: 400, message: Object.values(fields).flat().join('; '), fields };
  }
  return write((db) => {
    const row = getRule(db, id);
    if (!row) return notFound(id);
    const keys = Object.keys(p.data);
    if (keys.length === 1 && keys[0] === 'enabled') {
      setRuleEnabled(db, id, p.data.enabled as boolean, now());
    } else {
      const v = validateRule({ ...rowToRuleInput(row), ...p.data });
      if (!v.ok) return { ok: false, status: 400, message: v.message, fields: v.errors };
      updateRule(db, id, v.value, now());
    }
    return { ok: true, value: ruleView(getRule(db, id) as RuleRow) };
  });
}

/** removeRule deletes a rule. */
export function removeRule(id: number): WriteResult<{ id: number }> {
  return write((db) => (deleteRule(db, id) ? { ok: true, value: { id } } : notFound(id)));
}

/** saveAppPolicy validates and stores an app's defaults and data cap. */
export function saveAppPolicy(input: unknown): WriteResult<AppPolicyView> {
  const v = validateAppPolicy(input);
  if (!v.ok) return { ok: false, status: 400, message: v.message, fields: v.errors };
  return write((db) => {
    upsertAppPolicy(db, v.value, now());
    const row = getFwApps(db).find((a) => a.appKey === v.value.app) as FwAppRow;
    return { ok: true, value: appView(row) };
  });
}
