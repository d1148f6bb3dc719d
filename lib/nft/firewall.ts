/**
 * The firewall builder: validated rules + per-app settings + the live cgroup tree →
 * nft syntax commands for our table, to be applied as one `nft -f -` batch (nft 1.0.6
 * JSON cannot express `socket cgroupv2`). Every value is re-validated here before it
 * becomes text. Dispatch costs one verdict-map lookup per cgroup level where an app
 * whose chain does something on that hook lives, whatever the number of apps and rules:
 *   socket cgroupv2 level 5 vmap @fw_in
 *   socket cgroupv2 level 2 vmap @fw_in
 * with elements { "system.slice/postgresql.service" : goto fw_a3_in, … }; a hook no app
 * restricts, caps or counts on has no lookup at all (lib/nft/firewall-bind.ts).
 */
import { defaultUnitLevel, nftSetDeclarations, nftSetRule, setHooks, systemUnitOfAppKey, type SetBinding } from './nftset';
import { cgroupLevel } from '../identity';
import { bindCgroups, bindHook, chainUse, chainUses, type ChainUse, type HookTarget } from './firewall-bind';
import { PRIORITY_DEFAULT, validateAppPolicy, validateRule, type AppPolicy, type Rule } from '../rules/model';
import { OTHER_APPS } from '../rules/vocabulary';
import { FirewallBuildError, defaultStatements, ifaceMatch, ruleStatements, safeId, type Hook } from './firewall-rule';

import {
  CHAIN_FW_IN, CHAIN_FW_OUT, MAP_FW_IN, MAP_FW_OUT, SET_IF_METERED, SET_IF_MOBILE, TABLE_FAMILY, TABLE_NAME,
  fwAppChain, fwQuota, fwRuleCounter, isIfname,
} from './names';

export { FirewallBuildError, bindCgroups, ruleStatements };

const T = `${TABLE_FAMILY} ${TABLE_NAME}`;
const HOOKS: Hook[] = ['in', 'out'];

export interface FwRule {
  id: number;
  rule: Rule;
}

export interface FwApp {
  id: number;
  policy: AppPolicy;
  /** Bytes already used this cycle: the quota object starts from them when it is (re)created. */
  quotaUsed: number;
  /**
   * Re-create the quota object in this batch, starting from quotaUsed: a new billing
   * cycle, or a cap seeded with what the store counted this cycle before it was set.
   */
  recreateQuota?: boolean;
}

/**
 * An app whose settings row is unusable (it failed validation) but whose default on a
 * hook is drop or reject: its cgroups are dropped on that hook rather than let through.
 */
export interface ClosedApp {
  app: string;
  hooks: Hook[];
}

/** A row the builder left out, and why (shown on the row). */
export interface SkippedRow {
  kind: 'rule' | 'app';
  id: number;
  error: string;
}

export interface FwIface {
  name: string;
  kind: string;
  metered: boolean;
}

/** Named objects of ours in the kernel after a successful apply; the next apply removes the ones no longer wanted. */
export interface FwObjects {
  chains: string[];
  counters: string[];
  quotas: string[];
}

export interface FirewallInput {
  rules: FwRule[];
  apps: FwApp[];
  /** Live cgroup paths relative to the cgroup root. */
  cgroups: string[];
  ifaces: FwIface[];
  previous?: FwObjects;
  /** Apps to keep closed although their settings could not be used (fail closed). */
  closed?: ClosedApp[];
  /**
   * Declare a cgroupsv2 set per configured system service for systemd's NFTSet= (≥ 255)
   * and dispatch on it before the verdict maps, so a restarted service is bound before
   * its first process runs. Off where systemd cannot fill the sets: each set is one more
   * lookup per packet.
   */
  systemdSets?: boolean;
}

export interface FirewallPlan {
  commands: string[];
  objects: FwObjects;
  /** Cgroup levels looked up per packet on either hook, deepest first. */
  levels: number[];
  /** Cgroup levels looked up per packet on each hook, deepest first (none: the hook has no lookup). */
  hookLevels: Record<Hook, number[]>;
  /** Whether any chain tests `ct direction reply`, which turns conntrack on for the namespace. */
  conntrack: boolean;
  /** cgroup path → app chain id, the binding of configured apps (before per-hook pruning). */
  bound: Record<string, number>;
  /** Rows left out because they failed re-validation here; every other row is in the batch. */
  skipped: SkippedRow[];
}

/**
 * FW_LOADED is a named counter no rule uses (rule ids start at 1): it is in the kernel
 * exactly when our firewall part is, and both counter readers report it as rule 0, so
 * the collector sees a table that was re-created without its firewall.
 */
export const FW_LOADED = fwRuleCounter(0);


const reason = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** revalidate runs a rule through the zod schema again and returns the canonical copy. */
function revalidate(r: FwRule): FwRule {
  const id = safeId(r.id, `rule ${String(r.id)}`);
  const v = validateRule(r.rule);
  if (!v.ok) throw new FirewallBuildError(`rule ${id}`, v.message);
  return { id, rule: v.value };
}

function revalidateApp(a: FwApp): FwApp {
  const id = safeId(a.id, `settings of ${a.policy.app}`);
  const v = validateAppPolicy(a.policy);
  if (!v.ok) throw new FirewallBuildError(`settings of ${a.policy.app}`, v.message);
  const used = Number.isSafeInteger(a.quotaUsed) && a.quotaUsed > 0 ? a.quotaUsed : 0;
  return { id, policy: v.value, quotaUsed: used, recreateQuota: Boolean(a.recreateQuota) };
}

/** keepValid re-validates each row on its own: a bad row is skipped and reported, never the whole batch. */
function keepValid<T extends { id: number }>(rows: readonly T[], check: (row: T) => T, kind: SkippedRow['kind'], skipped: SkippedRow[]): T[] {
  return rows.flatMap((row) => {
    try {
      return [check(row)];
    } catch (err) {
      skipped.push({ kind, id: row.id, error: reason(err) });
      return [];
    }
  });
}

const appliesTo = (r: Rule, hook: Hook) => r.direction === 'both' || r.direction === hook;
const byPrecedence = (a: FwRule, b: FwRule) => (a.rule.priority ?? PRIORITY_DEFAULT) - (b.rule.priority ?? PRIORITY_DEFAULT) || a.id - b.id;

/** quotaStatement is a cap's line in the app chain: iifname @if_metered quota name "fw_q3" drop comment "appnet:quota". */
const quotaStatement = (name: string, network: AppPolicy['quotaNetwork'], hook: Hook): string =>
  [ifaceMatch(network, null, hook), `quota name "${name}" drop comment "appnet:quota"`].filter(Boolean).join(' ');

/**
 * appChainStatements lists an app chain's rules in precedence order (lib/rules/model.ts PRECEDENCE):
 *   iifname @if_metered quota name "fw_q3" drop
 *   … count rules …
 *   ct direction reply accept              (only when something below could drop a reply)
 *   … allow/drop/reject rules by priority …
 *   default policy, or goto the other-apps chain
 */
function appChainStatements(app: FwApp, rules: FwRule[], hook: Hook, otherChain: string | null, use: ChainUse): string[] {
  const p = app.policy;
  const mine = rules.filter((r) => r.rule.app === p.app && r.rule.enabled && appliesTo(r.rule, hook)).sort(byPrecedence);
  const out: string[] = [];
  if (p.quotaBytes !== null) out.push(quotaStatement(fwQuota(app.id), p.quotaNetwork, hook));
  for (const r of mine.filter((x) => x.rule.action === 'count')) out.push(...ruleStatements(r.id, r.rule, hook));
  if (use.needsCt) out.push('ct direction reply accept');
  for (const r of mine.filter((x) => x.rule.action !== 'count')) out.push(...ruleStatements(r.id, r.rule, hook));
  out.push(...defaultStatements(hook === 'in' ? p.defaultIn : p.defaultOut, otherChain));
  return out;
}

/** isConfigured: an app gets a chain (and claims its cgroups) only when it has something to say. */
function isConfigured(app: FwApp, rules: FwRule[]): boolean {
  const p = app.policy;
  return p.defaultIn !== 'inherit' || p.defaultOut !== 'inherit' || p.quotaBytes !== null || rules.some((r) => r.rule.app === p.app && r.rule.enabled);
}

/**
 * baseChain declares a hook's dispatch chain, emptied to be refilled; a hook with nothing to
 * dispatch gets no chain at all (one left by an earlier apply is removed), so a packet on it
 * does not even enter our firewall:
 *   add chain inet appnet fw_input { type filter hook input priority 0; policy accept; }
 */
function baseChain(chain: string, hook: 'input' | 'output', wanted: boolean): string[] {
  const decl = [`add chain ${T} ${chain} { type filter hook ${hook} priority 0; policy accept; }`, `flush chain ${T} ${chain}`];
  return wanted ? decl : [...decl, `delete chain ${T} ${chain}`];
}

/**
 * skeletonCommands declares our firewall objects and empties the ones rebuilt each time,
 * then removes what a previous apply left and is no longer wanted (after every reference
 * to it is flushed).
 */
function skeletonCommands(wanted: FwObjects, prev: FwObjects, base: Record<Hook, boolean>): string[] {
  const staleChains = prev.chains.filter((c) => !wanted.chains.includes(c) && /^fw_a\d+_(in|out)$/.test(c));
  const staleCounters = prev.counters.filter((c) => !wanted.counters.includes(c) && /^fw_r\d+$/.test(c));
  const staleQuotas = prev.quotas.filter((c) => !wanted.quotas.includes(c) && /^fw_q\d+$/.test(c));
  return [
    `add table ${T}`,
    `add map ${T} ${MAP_FW_IN} { typeof socket cgroupv2 level 1 : verdict; }`,
    `add map ${T} ${MAP_FW_OUT} { typeof socket cgroupv2 level 1 : verdict; }`,
    `add set ${T} ${SET_IF_METERED} { type ifname; }`,
    `add set ${T} ${SET_IF_MOBILE} { type ifname; }`,
    ...baseChain(CHAIN_FW_IN, 'input', base.in),
    ...baseChain(CHAIN_FW_OUT, 'output', base.out),
    `flush map ${T} ${MAP_FW_IN}`,
    `flush map ${T} ${MAP_FW_OUT}`,
    ...[...wanted.chains, ...staleChains].flatMap((c) => [`add chain ${T} ${c}`, `flush chain ${T} ${c}`]),
    ...staleChains.map((c) => `delete chain ${T} ${c}`),
    ...staleCounters.flatMap((c) => [`add counter ${T} ${c}`, `delete counter ${T} ${c}`]),
    ...staleQuotas.flatMap((q) => [`add quota ${T} ${q} { over 1 bytes }`, `delete quota ${T} ${q}`]),
    `flush set ${T} ${SET_IF_METERED}`,
    `flush set ${T} ${SET_IF_MOBILE}`,
  ];
}

/** ifaceSetCommands refills the network-class sets: add element inet appnet if_metered { "wwan0" }. */
function ifaceSetCommands(ifaces: FwIface[]): string[] {
  const ok = ifaces.filter((i) => isIfname(i.name));
  const metered = ok.filter((i) => i.metered).map((i) => `"${i.name}"`);
  const mobile = ok.filter((i) => i.kind === 'mobile').map((i) => `"${i.name}"`);
  return [
    ...(metered.length ? [`add element ${T} ${SET_IF_METERED} { ${metered.join(', ')} }`] : []),
    ...(mobile.length ? [`add element ${T} ${SET_IF_MOBILE} { ${mobile.join(', ')} }`] : []),
  ];
}

/**
 * quotaCommands adds each cap as a named quota, restoring stored use when the object is
 * new (an existing quota keeps its own count: nft updates only the limit); a new cycle or
 * a seed deletes and re-creates it from quotaUsed (an over-used quota blocks at once):
 *   add quota inet appnet fw_q2 { over 2147483648 bytes used 1000 bytes }
 */
function quotaCommands(apps: FwApp[]): string[] {
  return apps.flatMap((a) => {
    if (a.policy.quotaBytes === null) return [];
    const q = fwQuota(a.id);
    const limit = `over ${a.policy.quotaBytes} bytes`;
    // The kernel refuses a quota created past its limit; one created at it blocks the next packet.
    const n = Math.min(a.quotaUsed, a.policy.quotaBytes);
    const used = n > 0 ? ` used ${n} bytes` : '';
    if (a.recreateQuota) return [`add quota ${T} ${q} { ${limit} }`, `delete quota ${T} ${q}`, `add quota ${T} ${q} { ${limit}${used} }`];
    return [`add quota ${T} ${q} { ${limit}${used} }`];
  });
}

/**
 * dispatchCommands writes each hook's map elements and, deepest level first, the systemd
 * set rules of units at that level and one vmap lookup if the hook has elements there: a
 * deeper app with its own settings wins over a unit's set above it. A hook without
 * elements or sets gets no lookup.
 */
function dispatchCommands(hooks: Record<Hook, Map<string, HookTarget>>, sets: readonly SetBinding[]): string[] {
  const out: string[] = nftSetDeclarations(sets);
  for (const [chain, map, h] of [[CHAIN_FW_IN, MAP_FW_IN, 'in'], [CHAIN_FW_OUT, MAP_FW_OUT, 'out']] as const) {
    const els = [...hooks[h]].map(([path, t]) => `"${path}" : ${t === 'accept' ? 'accept' : t < 0 ? 'drop' : `goto ${fwAppChain(t, h)}`}`);
    for (let i = 0; i < els.length; i += 256) out.push(`add element ${T} ${map} { ${els.slice(i, i + 256).join(', ')} }`);
    const here = sets.filter((b) => setHooks(b).includes(h));
    const mapLevels = levelsOf(hooks[h]);
    for (const l of [...new Set([...mapLevels, ...here.map((b) => b.level)])].sort((a, b) => b - a)) {
      for (const b of here.filter((x) => x.level === l)) out.push(nftSetRule(b, h, chain));
      if (mapLevels.includes(l)) out.push(`add rule ${T} ${chain} socket cgroupv2 level ${l} vmap @${map}`);
    }
  }
  return out;
}

const levelsOf = (elements: Map<string, unknown>): number[] => [...new Set([...elements.keys()].map(cgroupLevel))].sort((a, b) => b - a);

interface ValidRows {
  rules: FwRule[];
  apps: FwApp[];
  skipped: SkippedRow[];
}

/**
 * validRows re-validates every row on its own and keeps the rules whose app has a usable
 * settings row; whatever is left out is reported with the reason.
 */
function validRows(input: FirewallInput): ValidRows {
  const skipped: SkippedRow[] = [];
  const check = (r: FwRule) => {
    const v = revalidate(r);
    for (const h of HOOKS) if (appliesTo(v.rule, h)) ruleStatements(v.id, v.rule, h);
    return v;
  };
  const rules = keepValid(input.rules, check, 'rule', skipped);
  const allApps = keepValid(input.apps, revalidateApp, 'app', skipped);
  const keys = new Set(allApps.map((a) => a.policy.app));
  const kept = rules.filter((r) => {
    if (keys.has(r.rule.app)) return true;
    skipped.push({ kind: 'rule', id: r.id, error: `firewall: rule ${r.id} was not applied: ${r.rule.app} has no usable settings row` });
    return false;
  });
  return { rules: kept, apps: allApps.filter((a) => isConfigured(a, kept)), skipped };
}

/** CLOSED ids stand for apps kept closed without a chain: their map elements drop (negative, never a row id). */
const closedId = (i: number) => -1 - i;

/**
 * hookBindings decides each hook's map elements: app chains where they do something there,
 * and a plain drop for the cgroups of apps kept closed (ClosedApp).
 */
function hookBindings(input: FirewallInput, selectors: Map<string, number>, otherId: number | null, uses: Map<string, ChainUse>): Record<Hook, Map<string, HookTarget>> {
  const closed = (input.closed ?? []).filter((c) => !selectors.has(c.app));
  const all = new Map([...selectors, ...closed.map((c, i) => [c.app, closedId(i)] as const)]);
  const bind = (h: Hook) =>
    bindHook(input.cgroups, all, otherId, (id) => (id < 0 ? (closed[-1 - id]?.hooks ?? []).includes(h) : chainUse(uses, id, h).active));
  return { in: bind('in'), out: bind('out') };
}

/**
 * firewallCommands builds the whole firewall part of our table as one batch. Chains,
 * maps and sets are flushed and refilled, so the batch is the complete desired state;
 * counters and quotas are only added, so their values survive (a quota is re-created
 * only to start a new billing cycle or to seed it). Elements are written for live
 * cgroups only: nft resolves each path when the batch loads, so a dead one would fail
 * the whole batch. A row that fails re-validation is left out and listed in `skipped`.
 */
export function firewallCommands(input: FirewallInput): FirewallPlan {
  const { rules, apps, skipped } = validRows(input);
  const other = apps.find((a) => a.policy.app === OTHER_APPS) ?? null;
  const selectors = new Map(apps.map((a) => [a.policy.app, a.id]));
  const otherId = other ? other.id : null;
  const bound = bindCgroups(input.cgroups, selectors, otherId);
  const active = rules.filter((r) => r.rule.enabled);
  const uses = chainUses(apps, active.map((r) => r.rule), otherId);
  const hooks = hookBindings(input, selectors, otherId, uses);
  const objects: FwObjects = {
    chains: apps.flatMap((a) => HOOKS.map((h) => fwAppChain(a.id, h))),
    counters: [...new Set(active.map((r) => fwRuleCounter(r.id)))],
    quotas: apps.filter((a) => a.policy.quotaBytes !== null).map((a) => fwQuota(a.id)),
  };
  const sets = input.systemdSets ? setBindings(apps, uses, bound) : [];
  const base = { in: hooks.in.size > 0 || sets.some((b) => setHooks(b).includes('in')), out: hooks.out.size > 0 || sets.some((b) => setHooks(b).includes('out')) };
  const cmds = [
    ...skeletonCommands(objects, input.previous ?? { chains: [], counters: [], quotas: [] }, base),
    ...ifaceSetCommands(input.ifaces),
    ...quotaCommands(apps),
    ...[FW_LOADED, ...objects.counters].map((c) => `add counter ${T} ${c}`),
  ];
  let conntrack = false;
  for (const a of apps) {
    const otherChain = (h: Hook) => (other && other.id !== a.id ? fwAppChain(other.id, h) : null);
    for (const h of HOOKS) {
      const use = chainUse(uses, a.id, h);
      conntrack ||= use.needsCt;
      for (const s of appChainStatements(a, active, h, otherChain(h), use)) cmds.push(`add rule ${T} ${fwAppChain(a.id, h)} ${s}`);
    }
  }
  cmds.push(...dispatchCommands(hooks, sets));
  const hookLevels = { in: levelsOf(hooks.in), out: levelsOf(hooks.out) };
  const levels = [...new Set([...hookLevels.in, ...hookLevels.out])].sort((a, b) => b - a);
  return { commands: cmds, objects, levels, hookLevels, conntrack, bound: Object.fromEntries(bound), skipped };
}

/** setBindings lists the systemd NFTSet= sets of configured system services that do something on a hook. */
function setBindings(apps: FwApp[], uses: Map<string, ChainUse>, bound: Map<string, number>): SetBinding[] {
  return apps
    .filter((a) => systemUnitOfAppKey(a.policy.app) !== null && HOOKS.some((h) => chainUse(uses, a.id, h).active))
    .map((a) => ({
      appId: a.id,
      level: [...bound].filter(([, id]) => id === a.id).map(([p]) => cgroupLevel(p))[0] ?? defaultUnitLevel(a.policy.app),
      hooks: HOOKS.filter((h) => chainUse(uses, a.id, h).active),
    }));
}

export type Preview = { ok: true; lines: string[] } | { ok: false; error: string };

/**
 * previewRule shows the nft rules one rule becomes, in the app's chain(s), for the
 * "preview before save" panel. Unsaved ids show as 'new'.
 */
export function previewRule(rule: unknown, ids: { ruleId?: number; appId?: number } = {}): Preview {
  const v = validateRule(rule);
  if (!v.ok) return { ok: false, error: v.message };
  const chain = (h: Hook) => (ids.appId !== undefined ? fwAppChain(ids.appId, h) : `fw_anew_${h}`);
  const lines = HOOKS.filter((h) => appliesTo(v.value, h)).flatMap((h) =>
    ruleStatements(ids.ruleId ?? 'new', v.value, h).map((s) => `add rule ${T} ${chain(h)} ${s}`),
  );
  return { ok: true, lines };
}

/**
 * previewAppPolicy shows what an app's settings become: its cap as a named quota checked
 * first in its chains, and its default at the end of each chain (after its rules);
 * "as all other apps" adds nothing of its own. Unsaved ids show as 'new'.
 */
export function previewAppPolicy(policy: unknown, ids: { appId?: number } = {}): Preview {
  const v = validateAppPolicy(policy);
  if (!v.ok) return { ok: false, error: v.message };
  const p = v.value;
  const chain = (h: Hook) => (ids.appId !== undefined ? fwAppChain(ids.appId, h) : `fw_anew_${h}`);
  const quota = ids.appId !== undefined ? fwQuota(ids.appId) : 'fw_qnew';
  const lines: string[] = [];
  if (p.quotaBytes !== null) {
    lines.push(`add quota ${T} ${quota} { over ${p.quotaBytes} bytes }`);
    for (const h of HOOKS) lines.push(`add rule ${T} ${chain(h)} ${quotaStatement(quota, p.quotaNetwork, h)}`);
  }
  for (const h of HOOKS) for (const s of defaultStatements(h === 'in' ? p.defaultIn : p.defaultOut, null)) lines.push(`add rule ${T} ${chain(h)} ${s}`);
  return { ok: true, lines };
}
