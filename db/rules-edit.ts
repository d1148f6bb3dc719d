/**
 * Editing the desired firewall state: the one path every writer takes (the dashboard's
 * actions and API through app/_data/rules.ts, `appnet rules`). Input is validated with
 * the rule schema, written with db/queries/rules in one transaction, and a refusal comes
 * back as field errors. The collector applies what is stored; nothing here runs nft.
 */
import type { Db } from './open';
import {
  countRulesOf, deleteFwApp, deleteIdleFwApp, deleteRule, getFwApp, getRule, insertRule, setRuleEnabled, updateRule, upsertAppPolicy,
  type FwAppRow, type RuleRow,
} from './queries/rules';
import type { FieldErrors } from '../lib/api-error';
import { appPolicyFields, mergeRulePatch, pickRule, validateAppPolicy, validateRule, type AppPolicy, type Validated } from '../lib/rules/model';

export type EditResult<T> = { ok: true; value: T } | { ok: false; code: 'bad_request' | 'not_found'; message: string; fields: FieldErrors };

const refused = (v: Extract<Validated<unknown>, { ok: false }>) => ({ ok: false as const, code: 'bad_request' as const, message: v.message, fields: v.errors });
const noRule = (id: number) => ({ ok: false as const, code: 'not_found' as const, message: `There is no rule ${id}.`, fields: {} });

/** addRule validates and stores a new rule (and its app's settings row). */
export function addRule(db: Db, input: unknown, now: number): EditResult<RuleRow> {
  const v = validateRule(input);
  if (!v.ok) return refused(v);
  const id = insertRule(db, v.value, now);
  return { ok: true, value: getRule(db, id) as RuleRow };
}

const onlyEnabled = (patch: unknown): patch is { enabled: boolean } =>
  typeof patch === 'object' && patch !== null && Object.keys(patch).join() === 'enabled' && typeof (patch as { enabled: unknown }).enabled === 'boolean';

/**
 * changeRule merges a partial change ({ comment }) into a rule and validates the whole.
 * Switching a rule on or off keeps it as stored, so a row the collector refuses can still
 * be switched off.
 */
export function changeRule(db: Db, id: number, patch: unknown, now: number): EditResult<RuleRow> {
  return db.transaction((): EditResult<RuleRow> => {
    const row = getRule(db, id);
    if (!row) return noRule(id);
    if (onlyEnabled(patch)) {
      setRuleEnabled(db, id, patch.enabled, now);
      return { ok: true, value: getRule(db, id) as RuleRow };
    }
    const v = mergeRulePatch(pickRule(row), patch);
    if (!v.ok) return refused(v);
    updateRule(db, id, v.value, now);
    if (v.value.app !== row.app) deleteIdleFwApp(db, row.app);
    return { ok: true, value: getRule(db, id) as RuleRow };
  })();
}

/** removeRule deletes a rule, and its app's settings row when that said nothing and anchored only this rule. */
export function removeRule(db: Db, id: number): EditResult<{ id: number }> {
  return db.transaction((): EditResult<{ id: number }> => {
    const row = getRule(db, id);
    if (!row || !deleteRule(db, id)) return noRule(id);
    deleteIdleFwApp(db, row.app);
    return { ok: true, value: { id } };
  })();
}

const POLICY_KEYS = Object.keys(appPolicyFields) as Array<keyof AppPolicy>;

/**
 * setAppPolicy validates and stores an app's defaults and data cap. With `merge`, fields
 * the input leaves out keep their stored value (the CLI's `rules default --quota 2GiB`);
 * without, they take their defaults (the API's PUT, the dashboard's form).
 */
export function setAppPolicy(db: Db, input: unknown, now: number, opts: { merge?: boolean } = {}): EditResult<FwAppRow> {
  return db.transaction((): EditResult<FwAppRow> => {
    const given = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
    const cur = opts.merge && typeof given.app === 'string' ? getFwApp(db, given.app.trim()) : undefined;
    const base = cur ? Object.fromEntries(POLICY_KEYS.map((k) => [k, cur[k]])) : {};
    const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
    const v = validateAppPolicy(opts.merge ? { ...base, ...defined } : input);
    if (!v.ok) return refused(v);
    upsertAppPolicy(db, v.value, now);
    return { ok: true, value: getFwApp(db, v.value.app) as FwAppRow };
  })();
}

/**
 * removeAppPolicy removes an app's defaults and data cap. Its rules stay: while it has
 * any, the row stays as their anchor with nothing of its own (inherit, no cap).
 */
export function removeAppPolicy(db: Db, app: string, now: number): EditResult<{ app: string; rulesKept: number }> {
  return db.transaction((): EditResult<{ app: string; rulesKept: number }> => {
    if (!getFwApp(db, app)) return { ok: false, code: 'not_found', message: `${app} has no settings of its own.`, fields: {} };
    const rulesKept = countRulesOf(db, app);
    if (rulesKept === 0) deleteFwApp(db, app);
    else upsertAppPolicy(db, { app, defaultIn: 'inherit', defaultOut: 'inherit', quotaBytes: null, quotaNetwork: 'metered', quotaCycleDay: 1 }, now);
    return { ok: true, value: { app, rulesKept } };
  })();
}
