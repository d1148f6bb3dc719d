/**
 * The rules page's, the app panel's and the API's data layer: plain serialisable views of
 * the desired firewall state, and the only place the web side writes it. Every write goes
 * through db/rules-edit.ts (the path the CLI takes too), validated with the rule schema the
 * collector re-checks with. The dashboard never runs nft; the collector applies what is
 * stored here.
 */
import type { Db } from '../../db/open';
import { getFwApps, getFwState, getKnownApps, getRules, type FwAppRow, type RuleRow } from '../../db/queries/rules';
import { addRule, changeRule, removeAppPolicy, removeRule, setAppPolicy, type EditResult } from '../../db/rules-edit';
import type { ApiErrorCode, FieldErrors } from '../../lib/api-error';
import { isDefaultPolicy, pickRule } from '../../lib/rules/model';
import { applyStatus } from '../../lib/rules/status';
import type { AppPolicyView, KnownApp, RuleView, RulesView } from '../../lib/rules/view';
import { OTHER_APPS, OTHER_APPS_LABEL, PRECEDENCE } from '../../lib/rules/vocabulary';
import { withWritableStore, writeFailureMessage } from './db';

export type { AppPolicyView, RuleView, RulesView };

export type WriteFailure = { ok: false; status: 400 | 404 | 503; code: ApiErrorCode; message: string; fields: FieldErrors };
export type WriteResult<T> = { ok: true; value: T } | WriteFailure;

function hasRulesTable(db: Db): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'rules'").get() !== undefined;
}

type Names = Map<string, string>;
const appName = (key: string, names: Names) => (key === OTHER_APPS ? OTHER_APPS_LABEL : names.get(key) ?? key.replace(/^(app|user):/, ''));

function ruleView(r: RuleRow, names: Names): RuleView {
  return { ...pickRule(r), id: r.id, appName: appName(r.app, names), status: applyStatus(r), lastError: r.lastError, hitPackets: r.hitPackets, hitBytes: r.hitBytes };
}

function appView(a: FwAppRow, names: Names): AppPolicyView {
  return {
    id: a.id, app: a.app, defaultIn: a.defaultIn, defaultOut: a.defaultOut, quotaBytes: a.quotaBytes, quotaNetwork: a.quotaNetwork, quotaCycleDay: a.quotaCycleDay,
    appName: appName(a.app, names), quotaUsed: a.quotaUsed, status: applyStatus(a), lastError: a.lastError,
  };
}

/** getRulesView reads everything the rules page shows; null when the store predates the rules table. */
export function getRulesView(db: Db, opts: { app?: string } = {}): RulesView | null {
  if (!hasRulesTable(db)) return null;
  const knownApps: KnownApp[] = getKnownApps(db);
  const names: Names = new Map(knownApps.map((k) => [k.key, k.name]));
  const mine = (app: string) => !opts.app || app === opts.app;
  const rules = getRules(db).filter((r) => mine(r.app)).map((r) => ruleView(r, names));
  // A row that says nothing (inherit, no cap) only anchors the app's rules: not shown as settings.
  const apps = getFwApps(db).filter((a) => mine(a.app) && (!isDefaultPolicy(a) || a.lastError !== null)).map((a) => appView(a, names));
  const s = getFwState(db);
  return { rules, apps, precedence: PRECEDENCE, lastApply: { lastTry: s.lastTry, lastOk: s.lastOk, lastError: s.lastError }, knownApps };
}

const STATUS = { bad_request: 400, not_found: 404 } as const;

/** write runs one edit on a short-lived writable connection; the store's failures become a sentence. */
function write<T, V>(what: string, edit: (db: Db, now: number) => EditResult<T>, view: (db: Db, v: T) => V): WriteResult<V> {
  try {
    return withWritableStore((db): WriteResult<V> => {
      if (!hasRulesTable(db)) return { ok: false, status: 503, code: 'no_database', message: 'The store has no rules table yet: restart the collector so it upgrades the database.', fields: {} };
      const r = edit(db, Math.floor(Date.now() / 1000));
      if (!r.ok) return { ...r, status: STATUS[r.code] };
      return { ok: true, value: view(db, r.value) };
    });
  } catch (err) {
    return { ok: false, status: 503, code: 'no_database', message: writeFailureMessage(what, err), fields: {} };
  }
}

const names = (db: Db): Names => new Map(getKnownApps(db).map((k) => [k.key, k.name]));

/** createRule validates and stores a new rule. */
export function createRule(input: unknown): WriteResult<RuleView> {
  return write('saving a rule', (db, now) => addRule(db, input, now), (db, r) => ruleView(r, names(db)));
}

/** patchRule merges a partial change into a rule, re-validates the whole and stores it. */
export function patchRule(id: number, patch: unknown): WriteResult<RuleView> {
  return write('saving a rule', (db, now) => changeRule(db, id, patch, now), (db, r) => ruleView(r, names(db)));
}

/** deleteRule removes a rule. */
export function deleteRule(id: number): WriteResult<{ id: number }> {
  return write('removing a rule', (db) => removeRule(db, id), (_db, v) => v);
}

/** saveAppPolicy validates and stores an app's defaults and data cap (fields left out take their defaults). */
export function saveAppPolicy(input: unknown): WriteResult<AppPolicyView> {
  return write('saving app settings', (db, now) => setAppPolicy(db, input, now), (db, a) => appView(a, names(db)));
}

/** deleteAppPolicy removes an app's defaults and data cap; its rules stay. */
export function deleteAppPolicy(app: string): WriteResult<{ app: string; rulesKept: number }> {
  return write('removing app settings', (db, now) => removeAppPolicy(db, app, now), (_db, v) => v);
}
