/**
 * Reconcile: desired rules from the database + the live cgroup tree → the firewall part
 * of the collector's atomic nft batch. The caller applies the commands (together with
 * the accounting commands, one `nft -f -`) and then reports the outcome with
 * recordFirewallResult, which is when rule rows learn whether they are in the kernel.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../../db/open';
import {
  getFirewallIfaces, getFirewallSignature, getFwApps, getFwState, getRules, markFirewallApplied, markFirewallFailed, markRuleInvalid,
  initQuotaCycle, rowToRuleInput, setQuotaUse, setRuleHits, type AppliedVersion,
} from '../../db/queries/rules';
import { firewallCommands, type FirewallPlan, type FwApp, type FwIface, type FwObjects, type FwRule } from '../../lib/nft/firewall';
import type { FirewallCounters } from '../../lib/nft/firewall-parse';
import { cycleStart } from '../../lib/rules/cycle';
import { validateAppPolicy, validateRule } from '../../lib/rules/model';
import { readTree } from './watch';

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

interface Pending {
  plan: FirewallPlan;
  rules: AppliedVersion[];
  apps: AppliedVersion[];
  invalid: { id: number; error: string }[];
  cycles: { appId: number; start: number; reset: boolean }[];
}

const pending = new WeakMap<Db, Pending>();

function parseObjects(text: string): FwObjects {
  try {
    const o = JSON.parse(text) as Partial<FwObjects>;
    const strs = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    return { chains: strs(o.chains), counters: strs(o.counters), quotas: strs(o.quotas) };
  } catch {
    return { chains: [], counters: [], quotas: [] };
  }
}

/** loadDesired reads and re-validates the desired state; rows that fail validation are reported, not applied. */
function loadDesired(db: Db, now: number): Omit<Pending, 'plan'> & { fwRules: FwRule[]; fwApps: FwApp[] } {
  const fwRules: FwRule[] = [];
  const invalid: { id: number; error: string }[] = [];
  const ruleVersions: AppliedVersion[] = [];
  for (const row of getRules(db)) {
    const v = validateRule(rowToRuleInput(row));
    if (v.ok) fwRules.push({ id: row.id, rule: v.value });
    else invalid.push({ id: row.id, error: `rule ${row.id} is invalid and was not applied: ${v.message}` });
    if (v.ok) ruleVersions.push({ id: row.id, version: row.version });
  }
  const fwApps: FwApp[] = [];
  const appVersions: AppliedVersion[] = [];
  const cycles: Pending['cycles'] = [];
  for (const a of getFwApps(db)) {
    const v = validateAppPolicy({
      app: a.appKey, defaultIn: a.defaultIn, defaultOut: a.defaultOut, quotaBytes: a.quotaBytes,
      quotaNetwork: a.quotaNetwork, quotaCycleDay: a.quotaCycleDay,
    });
    if (!v.ok) continue;
    const start = cycleStart(now, v.value.quotaCycleDay);
    const reset = v.value.quotaBytes !== null && a.quotaCycleStart !== null && a.quotaCycleStart < start;
    fwApps.push({ id: a.id, policy: v.value, quotaUsed: reset ? 0 : a.quotaUsed, resetQuota: reset });
    appVersions.push({ id: a.id, version: a.version });
    if (v.value.quotaBytes !== null && (reset || a.quotaCycleStart === null)) cycles.push({ appId: a.id, start, reset });
  }
  return { fwRules, fwApps, rules: ruleVersions, apps: appVersions, invalid, cycles };
}

/**
 * planFirewall returns the nft commands that make the kernel's firewall match the
 * database for the given live cgroups and interfaces. Append them to the same batch as
 * the accounting commands; then call recordFirewallResult.
 */
export function planFirewall(db: Db, liveCgroups: readonly (string | { path: string })[], ifaces: readonly LiveIface[], opts: PlanOptions = {}): string[] {
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const desired = loadDesired(db, now);
  let cgroups = liveCgroups.map((c) => (typeof c === 'string' ? c : c.path));
  if (opts.cgroupRoot) {
    // Re-read the tree right before building: a scope created since the caller's scan
    // (e.g. by `appnet run`) must not lose its element to a batch built from an older list.
    const root = opts.cgroupRoot;
    cgroups = [...new Set([...cgroups, ...readTree(root).map((e) => e.path)])].filter((p) => existsSync(join(root, p)));
  }
  const fwIfaces: FwIface[] = ifaces.map((i) => ({ name: i.name, kind: i.kind, metered: i.metered ?? i.kind === 'mobile' }));
  const plan = firewallCommands({
    rules: desired.fwRules,
    apps: desired.fwApps,
    cgroups,
    ifaces: fwIfaces,
    previous: parseObjects(getFwState(db).objects),
    systemdSets: opts.systemdSets,
  });
  pending.set(db, { plan, rules: desired.rules, apps: desired.apps, invalid: desired.invalid, cycles: desired.cycles });
  return plan.commands;
}

/** planFirewallFromDb is planFirewall with the interface table from the database (for `appnet run`). */
export function planFirewallFromDb(db: Db, liveCgroups: readonly (string | { path: string })[], opts: PlanOptions = {}): string[] {
  const ifaces = getFirewallIfaces(db).map((i) => ({ name: i.name, kind: i.kind, metered: i.metered === 1 }));
  return planFirewall(db, liveCgroups, ifaces, opts);
}

/**
 * recordFirewallResult records the outcome of applying the last planFirewall batch:
 * on success every planned rule version is marked applied and the kernel objects are
 * remembered; on failure the previous ruleset is still active (the batch was atomic)
 * and every rule not yet applied carries the error.
 */
export function recordFirewallResult(db: Db, ok: boolean, error?: string | null, now: number = Math.floor(Date.now() / 1000)): void {
  const p = pending.get(db);
  pending.delete(db);
  if (!p) return;
  for (const inv of p.invalid) markRuleInvalid(db, inv.id, inv.error);
  if (ok) {
    markFirewallApplied(db, { rules: p.rules, apps: p.apps, objects: JSON.stringify(p.plan.objects), now });
    for (const c of p.cycles) if (c.reset) setQuotaUse(db, c.appId, 0, c.start);
    for (const c of p.cycles) if (!c.reset) initQuotaCycle(db, c.appId, c.start);
  } else {
    markFirewallFailed(db, error?.trim() || 'the nft batch failed', now);
  }
}

/** storeFirewallCounters stores rule hit counts and quota use read back from the kernel (each poll reads them). */
export function storeFirewallCounters(db: Db, c: FirewallCounters): void {
  const apps = new Map(getFwApps(db).map((a) => [a.id, a]));
  db.transaction(() => {
    for (const [id, v] of c.rules) setRuleHits(db, id, v.packets, v.bytes);
    for (const [id, q] of c.quotas) {
      const a = apps.get(id);
      if (a) setQuotaUse(db, id, q.used, a.quotaCycleStart ?? 0);
    }
  })();
}

/**
 * firewallPlanKey changes whenever the firewall must be re-planned for reasons other than
 * the cgroup tree or the interfaces: a rule or app setting changed, or a data cap's
 * billing cycle rolled over. The loop re-plans when it differs from the last applied key.
 */
export function firewallPlanKey(db: Db, now: number = Math.floor(Date.now() / 1000)): string {
  const cycles = getFwApps(db)
    .filter((a) => a.quotaBytes !== null)
    .map((a) => `${a.id}@${cycleStart(now, a.quotaCycleDay)}`);
  return `${getFirewallSignature(db)}|${cycles.join(',')}`;
}
