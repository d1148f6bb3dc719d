/**
 * The desired firewall state as the store holds it, row by row: each rule and each app's
 * settings is re-validated on its own (id included: it names nft objects), a row that
 * fails is reported with its reason instead of failing the others, an app whose settings
 * row fails but says "deny" is kept closed, and each data cap learns what it starts from.
 */
import type { Db } from '../../db/open';
import { getAppBytes, getAppIdsOfSelector, getAttributedAppIds, getFwApps, getRules, rowToRuleInput, type AppliedVersion, type FwAppRow } from '../../db/queries/rules';
import type { ClosedApp, FwApp, FwIface, FwRule, SkippedRow } from '../../lib/nft/firewall';
import { cycleBounds } from '../../lib/period';
import { validateAppPolicy, validateRule, type AppPolicy } from '../../lib/rules/model';
import { isAppSelector } from '../../lib/rules/values';
import { OTHER_APPS } from '../../lib/rules/vocabulary';

/** What the builder needs: validated rows, and the apps kept closed although their settings failed. */
export interface Desired {
  rules: FwRule[];
  apps: FwApp[];
  closed: ClosedApp[];
}

/** A cap whose quota object is (re)created this batch, starting from `used` bytes of the cycle beginning at `start`. */
export interface QuotaSeed {
  appId: number;
  used: number;
  start: number;
}

export interface LoadedDesired {
  desired: Desired;
  rules: AppliedVersion[];
  apps: AppliedVersion[];
  invalid: SkippedRow[];
  seeds: QuotaSeed[];
}

const goodId = (id: unknown): boolean => Number.isSafeInteger(id) && (id as number) >= 1;
const badId = (id: number) => `id ${String(id)} is not a positive whole number (rows get their id from the store; was it written by hand?)`;

function loadRules(db: Db, out: LoadedDesired): void {
  for (const row of getRules(db)) {
    const v = validateRule(rowToRuleInput(row));
    const why = !goodId(row.id) ? badId(row.id) : v.ok ? null : v.message;
    if (why !== null || !v.ok) {
      out.invalid.push({ kind: 'rule', id: row.id, error: `rule ${row.id} is invalid and was not applied: ${why}` });
      continue;
    }
    out.desired.rules.push({ id: row.id, rule: v.value });
    out.rules.push({ id: row.id, version: row.version });
  }
}

/** closedHooks: the hooks an unusable settings row still says to deny on (fail closed). */
function closedHooks(a: FwAppRow): ClosedApp['hooks'] {
  const denies = (p: unknown) => p === 'drop' || p === 'reject';
  return [...(denies(a.defaultIn) ? (['in'] as const) : []), ...(denies(a.defaultOut) ? (['out'] as const) : [])];
}

/**
 * capStart works out what a cap counts from. Within the cycle it was seeded for, the
 * kernel's own count (quotaUsed, read back each poll) goes on. A cap not seeded yet (new,
 * moved to other networks, or from before caps counted the whole cycle) starts from what
 * the store holds for the app this cycle, so an app already over it is blocked at once;
 * a new cycle starts from what the store holds since that cycle began.
 */
function capStart(db: Db, a: FwAppRow, p: AppPolicy, ctx: { now: number; ifaces: readonly FwIface[]; others: string[] }): QuotaSeed | null {
  const start = cycleBounds(ctx.now, p.quotaCycleDay).since;
  if (a.quotaCycleStart === start) return null;
  const ifaces = p.quotaNetwork === 'any' ? undefined : ctx.ifaces.filter((i) => (p.quotaNetwork === 'mobile' ? i.kind === 'mobile' : i.metered)).map((i) => i.name);
  const stored = ifaces !== undefined && ifaces.length === 0 ? 0 : appsOf(db, p.app, ctx.others).reduce((n, id) => n + getAppBytes(db, id, { since: start, now: ctx.now, ifaces }), 0);
  return { appId: a.id, used: a.quotaCycleStart === null ? Math.max(a.quotaUsed, stored) : stored, start };
}

/** appsOf lists the apps a selector covers; '*' covers every app no other configured selector names. */
function appsOf(db: Db, selector: string, others: string[]): number[] {
  if (selector !== OTHER_APPS) return getAppIdsOfSelector(db, selector);
  const named = new Set(others.flatMap((s) => getAppIdsOfSelector(db, s)));
  return getAttributedAppIds(db).filter((id) => !named.has(id));
}

function loadApps(db: Db, out: LoadedDesired, now: number, ifaces: readonly FwIface[]): void {
  const rows = getFwApps(db);
  const others = rows.map((a) => a.app).filter((k) => k !== OTHER_APPS);
  for (const a of rows) {
    const v = validateAppPolicy({ app: a.app, defaultIn: a.defaultIn, defaultOut: a.defaultOut, quotaBytes: a.quotaBytes, quotaNetwork: a.quotaNetwork, quotaCycleDay: a.quotaCycleDay });
    const why = !goodId(a.id) ? badId(a.id) : v.ok ? null : v.message;
    if (why !== null || !v.ok) {
      out.invalid.push({ kind: 'app', id: a.id, error: `settings of ${a.app} are invalid and were not applied: ${why}` });
      const hooks = closedHooks(a);
      if (hooks.length && typeof a.app === 'string' && isAppSelector(a.app)) out.desired.closed.push({ app: a.app, hooks });
      continue;
    }
    const seed = v.value.quotaBytes === null ? null : capStart(db, a, v.value, { now, ifaces, others });
    if (seed) out.seeds.push(seed);
    out.desired.apps.push({ id: a.id, policy: v.value, quotaUsed: seed ? seed.used : a.quotaUsed, recreateQuota: seed !== null });
    out.apps.push({ id: a.id, version: a.version });
  }
}

/** loadDesired reads and re-validates the desired state; rows that fail validation are reported, not applied. */
export function loadDesired(db: Db, now: number, ifaces: readonly FwIface[]): LoadedDesired {
  const out: LoadedDesired = { desired: { rules: [], apps: [], closed: [] }, rules: [], apps: [], invalid: [], seeds: [] };
  loadRules(db, out);
  loadApps(db, out, now, ifaces);
  return out;
}
