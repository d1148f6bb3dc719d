/**
 * Reconcile: desired rules from the database + the live cgroup tree → the firewall part
 * of the collector's atomic nft batch. The caller applies the commands (together with
 * the accounting commands, one `nft -f -`) and then reports the outcome with
 * recordFirewallResult, which is when rows learn whether they are in the kernel. Every
 * row is validated on its own: a bad one is left out with its reason, never the batch.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../../db/open';
import {
  getFirewallIfaces, getFirewallSignature, getFwApps, getFwState, getGoodPlan, markFirewallApplied, markFirewallFailed,
  markFirewallTried, markFwAppInvalid, markRuleInvalid, setGoodPlan, setQuotaUse, setRuleHits, type AppliedVersion,
} from '../../db/queries/rules';
import { firewallCommands, type FirewallPlan, type FwIface, type FwObjects, type SkippedRow } from '../../lib/nft/firewall';
import type { FirewallCounters } from '../../lib/nft/firewall-parse';
import { cycleBounds } from '../../lib/period';
import { loadDesired, type Desired, type QuotaSeed } from './desired';
import { readTree } from './watch';
import { nowSeconds } from '../../lib/time';

export type { Desired };

export interface PlanOptions {
  /** Unix seconds; defaults to now. */
  now?: number;
  /**
   * When set, the tree under it is re-read and merged in, and cgroups whose directory
   * vanished since the caller listed them are left out (a dead path fails the batch).
   */
  cgroupRoot?: string;
  /** Dispatch on systemd's NFTSet= sets too (systemd ≥ 255 runs here). */
  systemdSets?: boolean;
}

export interface LiveIface {
  name: string;
  kind: string;
  metered: boolean | null;
}

/** The desired state of an apply the kernel took, with the row versions it holds: rebuilt when planning fails. */
export interface GoodPlan {
  desired: Desired;
  rules: AppliedVersion[];
  apps: AppliedVersion[];
}

interface Pending {
  plan: FirewallPlan;
  good: GoodPlan;
  invalid: SkippedRow[];
  seeds: QuotaSeed[];
  /** Set when this batch is a fallback (the last good plan) instead of the wanted one: why. */
  fallbackFor: string | null;
}

const pending = new WeakMap<Db, Pending>();
const reason = (err: unknown) => (err instanceof Error ? err.message : String(err));

function parseObjects(text: string): FwObjects {
  try {
    const o = JSON.parse(text) as Partial<FwObjects>;
    const strs = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    return { chains: strs(o.chains), counters: strs(o.counters), quotas: strs(o.quotas) };
  } catch {
    return { chains: [], counters: [], quotas: [] };
  }
}

/** liveCgroups re-reads the tree right before building: a scope created since the caller's scan must not lose its element. */
function liveCgroups(live: readonly (string | { path: string })[], root: string | undefined): string[] {
  const listed = live.map((c) => (typeof c === 'string' ? c : c.path));
  if (!root) return listed;
  return [...new Set([...listed, ...readTree(root).map((e) => e.path)])].filter((p) => existsSync(join(root, p)));
}

const fwIfaces = (ifaces: readonly LiveIface[]): FwIface[] => ifaces.map((i) => ({ name: i.name, kind: i.kind, metered: i.metered ?? i.kind === 'mobile' }));

function build(db: Db, desired: Desired, live: readonly (string | { path: string })[], ifaces: readonly LiveIface[], opts: PlanOptions): FirewallPlan {
  return firewallCommands({
    ...desired,
    cgroups: liveCgroups(live, opts.cgroupRoot),
    ifaces: fwIfaces(ifaces),
    previous: parseObjects(getFwState(db).objects),
    systemdSets: opts.systemdSets,
  });
}

/** withoutSkipped drops the versions of rows the builder left out: they are not in the kernel. */
function withoutSkipped(versions: AppliedVersion[], skipped: SkippedRow[], kind: SkippedRow['kind']): AppliedVersion[] {
  const out = new Set(skipped.filter((s) => s.kind === kind).map((s) => s.id));
  return versions.filter((v) => !out.has(v.id));
}

/**
 * planFirewall returns the nft commands that make the kernel's firewall match the
 * database for the given live cgroups and interfaces. Append them to the same batch as
 * the accounting commands; then call recordFirewallResult. Throws only when the store
 * cannot be read (see planFromGood).
 */
export function planFirewall(db: Db, live: readonly (string | { path: string })[], ifaces: readonly LiveIface[], opts: PlanOptions = {}): string[] {
  const d = loadDesired(db, opts.now ?? nowSeconds(), fwIfaces(ifaces));
  const plan = build(db, d.desired, live, ifaces, opts);
  const invalid = [...d.invalid, ...plan.skipped];
  const good = { desired: d.desired, rules: withoutSkipped(d.rules, plan.skipped, 'rule'), apps: withoutSkipped(d.apps, plan.skipped, 'app') };
  pending.set(db, { plan, good, invalid, seeds: d.seeds, fallbackFor: null });
  return plan.commands;
}

/** planFirewallFromDb is planFirewall with the interface table from the database (for `appnet run`). */
export function planFirewallFromDb(db: Db, live: readonly (string | { path: string })[], opts: PlanOptions = {}): string[] {
  const ifaces = getFirewallIfaces(db).map((i) => ({ name: i.name, kind: i.kind, metered: i.metered === 1 }));
  return planFirewall(db, live, ifaces, opts);
}

/** readGoodPlan reads the last good plan the store kept; null when there is none or it is unreadable. */
export function readGoodPlan(db: Db): GoodPlan | null {
  try {
    const text = getGoodPlan(db);
    return text ? (JSON.parse(text) as GoodPlan) : null;
  } catch {
    return null;
  }
}

/**
 * planFromGood rebuilds the last plan the kernel took (`good`, or the one the store kept)
 * for the live cgroups, when the wanted plan cannot be made or was refused (`why`). The
 * builder re-validates it as any other input. null when no good plan is known.
 */
export function planFromGood(db: Db, good: GoodPlan | null, live: readonly (string | { path: string })[], ifaces: readonly LiveIface[], opts: PlanOptions & { why: string }): string[] | null {
  if (!good) return null;
  const desired: Desired = { ...good.desired, apps: good.desired.apps.map((a) => ({ ...a, recreateQuota: false })) };
  const plan = build(db, desired, live, ifaces, opts);
  pending.set(db, { plan, good, invalid: [], seeds: [], fallbackFor: opts.why });
  return plan.commands;
}

/** pendingGood is the good-plan candidate of the batch planned last (what recordFirewallResult will keep on success). */
export function pendingGood(db: Db): { good: GoodPlan; fallback: boolean } | null {
  const p = pending.get(db);
  return p ? { good: p.good, fallback: p.fallbackFor !== null } : null;
}

function recordApplied(db: Db, p: Pending, now: number): void {
  markFirewallApplied(db, { rules: p.good.rules, apps: p.good.apps, objects: JSON.stringify(p.plan.objects), now, error: p.fallbackFor });
  for (const s of p.seeds) setQuotaUse(db, s.appId, s.used, s.start);
  if (p.fallbackFor === null) setGoodPlan(db, JSON.stringify(p.good));
}

/**
 * recordFirewallResult records the outcome of applying the last planned batch: rows left
 * out say why; on success every planned row version is marked applied and the kernel
 * objects are remembered; on failure the previous ruleset is still active (the batch was
 * atomic) and every row not yet applied carries the error. A store that cannot take the
 * rows' results still gets the error in fw_state where it can.
 */
export function recordFirewallResult(db: Db, ok: boolean, error?: string | null, now: number = nowSeconds()): void {
  const p = pending.get(db);
  pending.delete(db);
  if (!p) return;
  try {
    db.transaction(() => {
      for (const inv of p.invalid) (inv.kind === 'rule' ? markRuleInvalid : markFwAppInvalid)(db, inv.id, inv.error);
      if (ok) recordApplied(db, p, now);
      else markFirewallFailed(db, error?.trim() || 'the nft batch failed', now);
    })();
  } catch (err) {
    const what = !ok ? error?.trim() || 'the nft batch failed' : p.fallbackFor ?? 'firewall applied, but its result could not be stored';
    recordPlanFailure(db, `${what} (${reason(err)})`, now);
  }
}

/** recordPlanFailure stores why no plan could be made, on the rows not in the kernel when possible, always in fw_state. */
export function recordPlanFailure(db: Db, error: string, now: number = nowSeconds()): void {
  try {
    markFirewallFailed(db, error, now);
  } catch {
    try {
      markFirewallTried(db, error, now);
    } catch {
      /* the store cannot be written at all: the collector's source status reports it */
    }
  }
}

/** storeFirewallCounters stores rule hit counts and quota use read back from the kernel (each poll reads them). */
export function storeFirewallCounters(db: Db, c: FirewallCounters): void {
  const apps = new Map(getFwApps(db).map((a) => [a.id, a]));
  db.transaction(() => {
    for (const [id, v] of c.rules) if (id > 0) setRuleHits(db, id, v.packets, v.bytes);
    for (const [id, q] of c.quotas) {
      const a = apps.get(id);
      // Within a cycle use only grows; a quota seeded past its limit starts at the limit in the kernel.
      if (a && a.quotaCycleStart !== null) setQuotaUse(db, id, Math.max(q.used, a.quotaUsed), a.quotaCycleStart);
    }
  })();
}

/**
 * firewallPlanKey changes whenever the firewall must be re-planned for reasons other than
 * the cgroup tree or the interfaces: a rule or app setting changed, or a data cap's
 * billing cycle rolled over. The loop re-plans when it differs from the last applied key.
 */
export function firewallPlanKey(db: Db, now: number = nowSeconds()): string {
  const cycles = getFwApps(db)
    .filter((a) => a.quotaBytes !== null)
    .map((a) => `${a.id}@${cycleBounds(now, a.quotaCycleDay).since}`);
  return `${getFirewallSignature(db)}|${cycles.join(',')}`;
}
