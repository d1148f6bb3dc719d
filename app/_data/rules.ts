/**
 * The rules page's, the app panel's and the API's data layer: plain serialisable views of
 * the desired firewall state, and the web side's only writes of it. A write is checked here
 * with the rule schema (for the form's field errors), then handed to the collector
 * (app/_data/channel.ts), which validates it again and stores it through db/rules-edit.ts,
 * the path `appnet rules` takes too. The dashboard never writes the store, never runs nft.
 */
import { hasTable, type Db } from '../../db/open';
import { getFwApp, getFwApps, getFwState, getKnownApps, getRule, getRules, type FwAppRow, type RuleRow } from '../../db/queries/rules';
import { channelFailure, type ChannelResult } from '../../lib/channel';
import { isDefaultPolicy, mergeRulePatch, pickRule, validateAppPolicy, validateRule } from '../../lib/rules/model';
import { applyStatus } from '../../lib/rules/status';
import type { AppPolicyView, KnownApp, RuleView, RulesView } from '../../lib/rules/view';
import { OTHER_APPS, OTHER_APPS_LABEL, PRECEDENCE } from '../../lib/rules/vocabulary';
import { callCollector } from './channel';
import { openStore } from './db';

export type { AppPolicyView, RuleView, RulesView };

/** A write's answer: the stored value, or a status with a sentence and field errors. */
export type WriteResult<T> = ChannelResult<T>;

type Names = Map<string, string>;
const namesOf = (db: Db): Names => new Map(getKnownApps(db).map((k) => [k.key, k.name]));
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
  if (!hasTable(db, 'rules')) return null;
  const knownApps: KnownApp[] = getKnownApps(db);
  const names: Names = new Map(knownApps.map((k) => [k.key, k.name]));
  const mine = (app: string) => !opts.app || app === opts.app;
  const rules = getRules(db).filter((r) => mine(r.app)).map((r) => ruleView(r, names));
  // A row that says nothing (inherit, no cap) only anchors the app's rules: not shown as settings.
  const apps = getFwApps(db).filter((a) => mine(a.app) && (!isDefaultPolicy(a) || a.lastError !== null)).map((a) => appView(a, names));
  const s = getFwState(db);
  return { rules, apps, precedence: PRECEDENCE, lastApply: { lastTry: s.lastTry, lastOk: s.lastOk, lastError: s.lastError }, knownApps };
}

/** readStoreWith runs a read on the dashboard's read-only connection; undefined when the store is not readable. */
function readStoreWith<T>(read: (db: Db) => T | undefined): T | undefined {
  const store = openStore();
  return store.state === 'ok' ? read(store.db) : undefined;
}

/** readBack reads what the collector just wrote (a committed write is visible to the next read). */
function readBack<T>(r: ChannelResult<unknown>, read: (db: Db) => T | undefined): WriteResult<T> {
  if (!r.ok) return r;
  const value = readStoreWith(read);
  if (value === undefined) return channelFailure(503, 'Saved, but the dashboard could not read it back from the store; reload the page.');
  return { ok: true, value };
}

const ruleBack = (id: number) => (db: Db) => {
  const row = getRule(db, id);
  return row && ruleView(row, namesOf(db));
};
const refused = (v: { message: string; errors: Record<string, string[]> }) => channelFailure(400, v.message, v.errors);

/** createRule validates a new rule and has the collector store it. */
export async function createRule(input: unknown): Promise<WriteResult<RuleView>> {
  const v = validateRule(input);
  if (!v.ok) return refused(v);
  const r = await callCollector('rules.create', v.value);
  return readBack(r, ruleBack(r.ok ? r.value.id : 0));
}

/** patchRule checks a partial change against the stored rule; the collector merges it again, validates the whole and stores it. */
export async function patchRule(id: number, patch: unknown): Promise<WriteResult<RuleView>> {
  const row = readStoreWith((db) => getRule(db, id) ?? null);
  if (row === null) return channelFailure(404, `There is no rule ${id}.`);
  const enabledOnly = typeof patch === 'object' && patch !== null && Object.keys(patch).join() === 'enabled';
  if (row && !enabledOnly) {
    const v = mergeRulePatch(pickRule(row), patch);
    if (!v.ok) return refused(v);
  }
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return channelFailure(400, 'The change must be an object of rule fields.', { _: ['the change must be an object of rule fields'] });
  return readBack(await callCollector('rules.update', { id, patch }), ruleBack(id));
}

/** deleteRule has the collector delete a rule. */
export async function deleteRule(id: number): Promise<WriteResult<{ id: number }>> {
  return callCollector('rules.delete', { id });
}

/** saveAppPolicy validates an app's defaults and data cap (fields left out take their defaults) and has the collector store them. */
export async function saveAppPolicy(input: unknown): Promise<WriteResult<AppPolicyView>> {
  const v = validateAppPolicy(input);
  if (!v.ok) return refused(v);
  const r = await callCollector('apps.policy.save', v.value);
  return readBack(r, (db) => {
    const row = getFwApp(db, v.value.app);
    return row && appView(row, namesOf(db));
  });
}

/** deleteAppPolicy has the collector remove an app's defaults and data cap; its rules stay. */
export async function deleteAppPolicy(app: string): Promise<WriteResult<{ app: string; rulesKept: number }>> {
  return callCollector('apps.policy.remove', { app });
}
