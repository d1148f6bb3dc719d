/**
 * The rules page's and API's data layer: plain serialisable views of the desired firewall
 * state, and the writes: checked here with the same zod schemas, then handed to the
 * collector (app/_data/channel.ts), which validates them again, stores and applies them.
 * The dashboard never writes the store and never runs nft.
 */
import { hasTable, type Db } from '../../db/open';
import { getFwApps, getFwState, getRule, getRules, type FwAppRow, type RuleRow } from '../../db/queries/rules';
import { channelFailure, type ChannelResult } from '../../lib/channel';
import { getAttributedAppKeys } from '../../db/queries/apps';
import { appIdentity } from '../../lib/identity';
import {
  PRECEDENCE, rulePatchSchema, fieldErrors, validateAppPolicy, validateRule, type AppPolicyInput, type RuleInput,
} from '../../lib/rules/model';
import { applyStatus } from '../../lib/rules/status';
import type { AppPolicyView, RuleView, RulesView } from '../../lib/rules/view';

export type { AppPolicyView, RuleView, RulesView };
import { callCollector } from './channel';
import { openStore } from './db';

/** A write's answer: the stored value, or a status with a sentence and field errors. */
export type WriteResult<T> = ChannelResult<T>;

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

/**
 * readBack reads what the collector just wrote through the dashboard's read-only
 * connection (a committed write is visible to the next read).
 */
function readBack<T>(r: ChannelResult<unknown>, read: (db: Db) => T | undefined): WriteResult<T> {
  if (!r.ok) return r;
  const store = openStore();
  const value = store.state === 'ok' ? read(store.db) : undefined;
  if (value === undefined) return channelFailure(503, 'Saved, but the dashboard could not read it back from the store; reload the page.');
  return { ok: true, value };
}

const ruleBack = (id: number) => (db: Db) => {
  const row = getRule(db, id);
  return row && ruleView(row);
};

/** createRule validates a new rule and has the collector store it. */
export async function createRule(input: unknown): Promise<WriteResult<RuleView>> {
  const v = validateRule(input);
  if (!v.ok) return { ok: false, status: 400, message: v.message, fields: v.errors };
  const r = await callCollector('rules.create', input as RuleInput);
  return readBack(r, ruleBack(r.ok ? r.value.id : 0));
}

/** patchRule checks a partial change; the collector merges it into the rule, re-validates the whole and stores it. */
export async function patchRule(id: number, patch: unknown): Promise<WriteResult<RuleView>> {
  const p = rulePatchSchema.safeParse(patch);
  if (!p.success) {
    const fields = fieldErrors(p.error);
    return { ok: false, status: 400, message: Object.values(fields).flat().join('; '), fields };
  }
  return readBack(await callCollector('rules.update', { id, patch: p.data }), ruleBack(id));
}

/** removeRule has the collector delete a rule. */
export async function removeRule(id: number): Promise<WriteResult<{ id: number }>> {
  return callCollector('rules.delete', { id });
}

/** saveAppPolicy validates an app's defaults and data cap and has the collector store them. */
export async function saveAppPolicy(input: unknown): Promise<WriteResult<AppPolicyView>> {
  const v = validateAppPolicy(input);
  if (!v.ok) return { ok: false, status: 400, message: v.message, fields: v.errors };
  const r = await callCollector('apps.policy.save', input as AppPolicyInput);
  return readBack(r, (db) => {
    const row = getFwApps(db).find((a) => a.appKey === v.value.app);
    return row && appView(row);
  });
}
