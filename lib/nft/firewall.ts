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
import { PRIORITY_DEFAULT, ruleToInput, validateAppPolicy, validateRule, type AppPolicy, type Rule } from '../rules/model';
import { OTHER_APPS } from '../rules/values';
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
  /** Bytes already used this cycle, restored when the quota object is (re)created. */
  quotaUsed: number;
  /** Start a new cycle: the quota object is re-created at zero in this batch. */
  resetQuota?: boolean;
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
}


/** revalidate runs a rule through the zod schema again and returns the canonical copy. */
function revalidate(r: FwRule): FwRule {
  const v = validateRule(ruleToInput(r.rule));
  if (!v.ok) throw new FirewallBuildError(`rule ${r.id}`, v.message);
  return { id: safeId(r.id, 'rule'), rule: v.value };
}

function revalidateApp(a: FwApp): FwApp {
  const v = validateAppPolicy(a.policy);
  if (!v.ok) throw new FirewallBuildError(`settings of ${a.policy.app}`, v.message);
  const used = Number.isSafeInteger(a.quotaUsed) && a.quotaUsed > 0 ? a.quotaUsed : 0;
  return { id: safeId(a.id, 'app'), policy: v.value, quotaUsed: used, resetQuota: Boolean(a.resetQuota) };
}

const appliesTo = (r: Rule, hook: Hook) => r.direction === 'both' || r.direction === hook;
const byPrecedence = (a: FwRule, b: FwRule) => (a.rule.priority ?? PRIORITY_DEFAULT) - (b.rule.priority ?? PRIORITY_DEFAULT) || a.id - b.id;

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
  if (p.quotaBytes !== null) out.push([ifaceMatch(p.quotaNetwork, null, hook), `quota name "${fwQuota(app.id)}" drop comment "appnet:quota"`].filter(Boolean).join(' '));
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
 * skeletonCommands declares our firewall objects and empties the ones rebuilt each time,
 * then removes what a previous apply left and is no longer wanted (after every reference
 * to it is flushed).
 */
function skeletonCommands(wanted: FwObjects, prev: FwObjects): string[] {
  const staleChains = prev.chains.filter((c) => !wanted.chains.includes(c) && /^fw_a\d+_(in|out)$/.test(c));
  const staleCounters = prev.counters.filter((c) => !wanted.counters.includes(c) && /^fw_r\d+$/.test(c));
  const staleQuotas = prev.quotas.filter((c) => !wanted.quotas.includes(c) && /^fw_q\d+$/.test(c));
  return [
    `add table ${T}`,
    `add map ${T} ${MAP_FW_IN} { typeof socket cgroupv2 level 1 : verdict; }`,
    `add map ${T} ${MAP_FW_OUT} { typeof socket cgroupv2 level 1 : verdict; }`,
    `add set ${T} ${SET_IF_METERED} { type ifname; }`,
    `add set ${T} ${SET_IF_MOBILE} { type ifname; }`,
    `add chain ${T} ${CHAIN_FW_IN} { type filter hook input priority 0; policy accept; }`,
    `add chain ${T} ${CHAIN_FW_OUT} { type filter hook output priority 0; policy accept; }`,
    `flush chain ${T} ${CHAIN_FW_IN}`,
    `flush chain ${T} ${CHAIN_FW_OUT}`,
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
 * new (an existing quota keeps its own count: nft updates only the limit); a new cycle
 * deletes and re-creates it at zero:
 *   add quota inet appnet fw_q2 { over 2147483648 bytes used 1000 bytes }
 */
function quotaCommands(apps: FwApp[]): string[] {
  return apps.flatMap((a) => {
    if (a.policy.quotaBytes === null) return [];
    const q = fwQuota(a.id);
    const limit = `over ${a.policy.quotaBytes} bytes`;
    if (a.resetQuota) return [`add quota ${T} ${q} { ${limit} }`, `delete quota ${T} ${q}`, `add quota ${T} ${q} { ${limit} }`];
    return [`add quota ${T} ${q} { ${limit}${a.quotaUsed > 0 ? ` used ${a.quotaUsed} bytes` : ''} }`];
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
    const els = [...hooks[h]].map(([path, t]) => `"${path}" : ${t === 'accept' ? 'accept' : `goto ${fwAppChain(t, h)}`}`);
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

/**
 * firewallCommands builds the whole firewall part of our table as one batch. Chains,
 * maps and sets are flushed and refilled, so the batch is the complete desired state;
 * counters and quotas are only added, so their values survive (a quota is re-created
 * only to start a new billing cycle). Elements are written for live cgroups only: nft
 * resolves each path when the batch loads, so a dead one would fail the whole batch.
 */
export function firewallCommands(input: FirewallInput): FirewallPlan {
  const rules = input.rules.map(revalidate);
  const apps = input.apps.map(revalidateApp).filter((a) => isConfigured(a, rules));
  const other = apps.find((a) => a.policy.app === OTHER_APPS) ?? null;
  const selectors = new Map(apps.map((a) => [a.policy.app, a.id]));
  const otherId = other ? other.id : null;
  const bound = bindCgroups(input.cgroups, selectors, otherId);
  const active = rules.filter((r) => r.rule.enabled && selectors.has(r.rule.app));
  const uses = chainUses(apps, active.map((r) => r.rule), otherId);
  const hooks = {
    in: bindHook(input.cgroups, selectors, otherId, (id) => chainUse(uses, id, 'in').active),
    out: bindHook(input.cgroups, selectors, otherId, (id) => chainUse(uses, id, 'out').active),
  };
  const objects: FwObjects = {
    chains: apps.flatMap((a) => HOOKS.map((h) => fwAppChain(a.id, h))),
    counters: [...new Set(active.map((r) => fwRuleCounter(r.id)))],
    quotas: apps.filter((a) => a.policy.quotaBytes !== null).map((a) => fwQuota(a.id)),
  };
  const cmds = [
    ...skeletonCommands(objects, input.previous ?? { chains: [], counters: [], quotas: [] }),
    ...ifaceSetCommands(input.ifaces),
    ...quotaCommands(apps),
    ...objects.counters.map((c) => `add counter ${T} ${c}`),
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
  const sets: SetBinding[] = input.systemdSets
    ? apps
        .filter((a) => systemUnitOfAppKey(a.policy.app) !== null && HOOKS.some((h) => chainUse(uses, a.id, h).active))
        .map((a) => ({
          appId: a.id,
          level: [...bound].filter(([, id]) => id === a.id).map(([p]) => cgroupLevel(p))[0] ?? defaultUnitLevel(a.policy.app),
          hooks: HOOKS.filter((h) => chainUse(uses, a.id, h).active),
        }))
    : [];
  cmds.push(...dispatchCommands(hooks, sets));
  const hookLevels = { in: levelsOf(hooks.in), out: levelsOf(hooks.out) };
  const levels = [...new Set([...hookLevels.in, ...hookLevels.out])].sort((a, b) => b - a);
  return { commands: cmds, objects, levels, hookLevels, conntrack, bound: Object.fromEntries(bound) };
}

/**
 * previewRule shows the nft rules one rule becomes, in the app's chain(s), for the
 * "preview before save" panel. Unsaved ids show as 'new'.
 */
export function previewRule(rule: unknown, ids: { ruleId?: number; appId?: number } = {}): { ok: true; lines: string[] } | { ok: false; error: string } {
  const v = validateRule(rule);
  if (!v.ok) return { ok: false, error: v.message };
  const chain = (h: Hook) => (ids.appId !== undefined ? fwAppChain(ids.appId, h) : `fw_anew_${h}`);
  const lines = HOOKS.filter((h) => appliesTo(v.value, h)).flatMap((h) =>
    ruleStatements(ids.ruleId ?? 'new', v.value, h).map((s) => `add rule ${T} ${chain(h)} ${s}`),
  );
  return { ok: true, lines };
}
