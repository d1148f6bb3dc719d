/**
 * The firewall builder: validated rules + per-app settings + the live cgroup tree →
 * nft syntax commands for our table, to be applied as one `nft -f -` batch (nft 1.0.6
 * JSON cannot express `socket cgroupv2`). Every value is re-validated here before it
 * becomes text. Dispatch costs one verdict-map lookup per populated cgroup level,
 * whatever the number of apps and rules:
 *   socket cgroupv2 level 5 vmap @fw_in
 *   socket cgroupv2 level 2 vmap @fw_in
 * with elements { "system.slice/postgresql.service" : goto fw_a3_in, … }.
 */
import { appIdentity, cgroupLevel } from '../identity';
import { PRIORITY_DEFAULT, ruleToInput, validateAppPolicy, validateRule, type AppPolicy, type Policy, type Rule } from '../rules/model';
import { OTHER_APPS, type PortRange } from '../rules/values';
import {
  CHAIN_FW_IN, CHAIN_FW_OUT, MAP_FW_IN, MAP_FW_OUT, MAX_LEVEL, SET_IF_METERED, SET_IF_MOBILE, TABLE_FAMILY, TABLE_NAME,
  fwAppChain, fwQuota, fwRuleCounter, isIfname, isSafeCgroupPath,
} from './names';

const T = `${TABLE_FAMILY} ${TABLE_NAME}`;
type Hook = 'in' | 'out';
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
}

export interface FirewallPlan {
  commands: string[];
  objects: FwObjects;
  /** Cgroup levels looked up per packet, deepest first. */
  levels: number[];
  /** cgroup path → app chain id, for the elements written. */
  bound: Record<string, number>;
}

/** FirewallBuildError names the rule or app whose value failed re-validation. */
export class FirewallBuildError extends Error {
  constructor(what: string, reason: string) {
    super(`firewall: ${what} refused: ${reason}`);
    this.name = 'FirewallBuildError';
  }
}

const safeId = (n: number, what: string): number => {
  if (!Number.isSafeInteger(n) || n < 0) throw new FirewallBuildError(what, `id ${String(n)} is not a whole number`);
  return n;
};

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

const setText = (items: string[]): string => (items.length === 1 ? items[0] : `{ ${items.join(', ')} }`);
const portText = (p: PortRange[]): string => setText(p.map((r) => (r.from === r.to ? String(r.from) : `${r.from}-${r.to}`)));

/** ifaceMatch is `iifname @if_metered` / `oifname "wlan0"` or '' for any interface. */
function ifaceMatch(network: Rule['network'], iface: string | null, hook: Hook): string {
  const key = hook === 'in' ? 'iifname' : 'oifname';
  if (network === 'metered') return `${key} @${SET_IF_METERED}`;
  if (network === 'mobile') return `${key} @${SET_IF_MOBILE}`;
  if (network === 'iface') {
    if (iface === null || !isIfname(iface)) throw new FirewallBuildError('interface', `'${String(iface)}' is not an interface name`);
    return `${key} "${iface}"`;
  }
  return '';
}

function protoMatch(r: Rule, fam: 'v4' | 'v6' | null): string {
  const ports = r.localPorts.length > 0 || r.remotePorts.length > 0;
  if (r.protocol === 'tcp' || r.protocol === 'udp') return `meta l4proto ${r.protocol}`;
  if (r.protocol === 'icmp') return fam === 'v4' ? 'meta l4proto icmp' : fam === 'v6' ? 'meta l4proto ipv6-icmp' : 'meta l4proto { icmp, ipv6-icmp }';
  return ports ? 'meta l4proto { tcp, udp }' : '';
}

/**
 * ruleMatches renders the match part of one rule for one hook, one line per address family:
 *   iifname @if_metered ip saddr 10.10.0.0/16 meta l4proto tcp th dport 5432
 */
function ruleMatches(r: Rule, hook: Hook): string[] {
  const fams: ('v4' | 'v6' | null)[] = [];
  if (r.remoteV4.length) fams.push('v4');
  if (r.remoteV6.length) fams.push('v6');
  if (fams.length === 0) fams.push(null);
  const remoteKey = hook === 'in' ? 'saddr' : 'daddr';
  const [localPort, remotePort] = hook === 'in' ? ['th dport', 'th sport'] : ['th sport', 'th dport'];
  return fams.map((fam) =>
    [
      ifaceMatch(r.network, r.iface, hook),
      fam === 'v4' ? `ip ${remoteKey} ${setText(r.remoteV4)}` : fam === 'v6' ? `ip6 ${remoteKey} ${setText(r.remoteV6)}` : '',
      protoMatch(r, fam),
      r.localPorts.length ? `${localPort} ${portText(r.localPorts)}` : '',
      r.remotePorts.length ? `${remotePort} ${portText(r.remotePorts)}` : '',
    ].filter(Boolean).join(' '),
  );
}

/** ruleStatements renders one rule for one hook: matches, its named counter, the verdict and our tag. */
export function ruleStatements(id: number | 'new', r: Rule, hook: Hook): string[] {
  const counter = `counter name "${typeof id === 'number' ? fwRuleCounter(safeId(id, 'rule')) : 'fw_rnew'}"`;
  const tag = `comment "appnet:r${id}"`;
  const join = (...p: string[]) => p.filter(Boolean).join(' ');
  return ruleMatches(r, hook).flatMap((m) => {
    if (r.action === 'count') return [join(m, counter, tag)];
    if (r.action === 'allow') return [join(m, counter, 'accept', tag)];
    if (r.action === 'drop') return [join(m, counter, 'drop', tag)];
    if (r.protocol === 'tcp') return [join(m, counter, 'reject with tcp reset', tag)];
    if (r.protocol === 'udp' || r.protocol === 'icmp') return [join(m, counter, 'reject', tag)];
    // Any protocol: a TCP peer gets a reset, everything else an ICMP port-unreachable.
    const tcp = m.includes('meta l4proto { tcp, udp }') ? m.replace('meta l4proto { tcp, udp }', 'meta l4proto tcp') : join(m, 'meta l4proto tcp');
    return [join(tcp, counter, 'reject with tcp reset', tag), join(m, counter, 'reject', tag)];
  });
}

function defaultStatements(p: Policy, otherChain: string | null): string[] {
  if (p === 'allow') return ['accept comment "appnet:default"'];
  if (p === 'drop') return ['drop comment "appnet:default"'];
  if (p === 'reject') return ['meta l4proto tcp reject with tcp reset comment "appnet:default"', 'reject comment "appnet:default"'];
  return otherChain ? [`goto ${otherChain}`] : [];
}

const appliesTo = (r: Rule, hook: Hook) => r.direction === 'both' || r.direction === hook;
const byPrecedence = (a: FwRule, b: FwRule) => (a.rule.priority ?? PRIORITY_DEFAULT) - (b.rule.priority ?? PRIORITY_DEFAULT) || a.id - b.id;

/**
 * appChainStatements lists an app chain's rules in precedence order (lib/rules/model.ts PRECEDENCE):
 *   iifname @if_metered quota name "fw_q3" drop
 *   … count rules …
 *   ct direction reply accept
 *   … allow/drop/reject rules by priority …
 *   default policy, or goto the other-apps chain
 */
function appChainStatements(app: FwApp, rules: FwRule[], hook: Hook, otherChain: string | null): string[] {
  const p = app.policy;
  const mine = rules.filter((r) => r.rule.app === p.app && r.rule.enabled && appliesTo(r.rule, hook)).sort(byPrecedence);
  const out: string[] = [];
  if (p.quotaBytes !== null) out.push([ifaceMatch(p.quotaNetwork, null, hook), `quota name "${fwQuota(app.id)}" drop comment "appnet:quota"`].filter(Boolean).join(' '));
  for (const r of mine.filter((x) => x.rule.action === 'count')) out.push(...ruleStatements(r.id, r.rule, hook));
  out.push('ct direction reply accept');
  for (const r of mine.filter((x) => x.rule.action !== 'count')) out.push(...ruleStatements(r.id, r.rule, hook));
  out.push(...defaultStatements(hook === 'in' ? p.defaultIn : p.defaultOut, otherChain));
  return out;
}

/** isConfigured: an app gets a chain (and claims its cgroups) only when it has something to say. */
function isConfigured(app: FwApp, rules: FwRule[]): boolean {
  const p = app.policy;
  return p.defaultIn !== 'inherit' || p.defaultOut !== 'inherit' || p.quotaBytes !== null || rules.some((r) => r.rule.app === p.app && r.rule.enabled);
}

const parentOf = (path: string): string => path.slice(0, Math.max(0, path.lastIndexOf('/')));

/**
 * bindCgroups decides which app chain each live cgroup goes to: its own app's (by app key
 * or exact path), else its parent's; below the root, the other-apps chain. An element is
 * written only where the answer differs from the parent's, since a lookup at a deeper
 * level that finds nothing falls through to the parent's level.
 */
export function bindCgroups(cgroups: string[], selectors: Map<string, number>, otherId: number | null): Map<string, number> {
  const target = new Map<string, number | null>();
  const resolve = (path: string): number | null => {
    if (path === '') return null;
    const known = target.get(path);
    if (known !== undefined) return known;
    const own = selectors.get(appIdentity(path).key) ?? selectors.get(path);
    const t = own ?? (path.includes('/') ? resolve(parentOf(path)) : otherId);
    target.set(path, t);
    return t;
  };
  const elements = new Map<string, number>();
  for (const path of [...cgroups].sort()) {
    if (!isSafeCgroupPath(path) || cgroupLevel(path) > MAX_LEVEL) continue;
    const t = resolve(path);
    if (t !== null && t !== (path.includes('/') ? resolve(parentOf(path)) : null)) elements.set(path, t);
  }
  return elements;
}

function ensureAndDrop(kind: 'chain' | 'counter', name: string): string[] {
  return kind === 'chain' ? [`add chain ${T} ${name}`, `flush chain ${T} ${name}`] : [`add counter ${T} ${name}`];
}

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
  const ifaces = input.ifaces.filter((i) => isIfname(i.name));
  const bound = bindCgroups(input.cgroups, selectors, other ? other.id : null);
  const levels = [...new Set([...bound.keys()].map(cgroupLevel))].sort((a, b) => b - a);

  const chains = apps.flatMap((a) => HOOKS.map((h) => fwAppChain(a.id, h)));
  const active = rules.filter((r) => r.rule.enabled && selectors.has(r.rule.app));
  const counters = [...new Set(active.map((r) => fwRuleCounter(r.id)))];
  const quotas = apps.filter((a) => a.policy.quotaBytes !== null).map((a) => fwQuota(a.id));
  const prev = input.previous ?? { chains: [], counters: [], quotas: [] };
  const staleChains = prev.chains.filter((c) => !chains.includes(c) && /^fw_a\d+_(in|out)$/.test(c));
  const staleCounters = prev.counters.filter((c) => !counters.includes(c) && /^fw_r\d+$/.test(c));
  const staleQuotas = prev.quotas.filter((c) => !quotas.includes(c) && /^fw_q\d+$/.test(c));

  const cmds: string[] = [
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
    ...[...chains, ...staleChains].flatMap((c) => ensureAndDrop('chain', c)),
    ...staleChains.map((c) => `delete chain ${T} ${c}`),
    ...staleCounters.flatMap((c) => [...ensureAndDrop('counter', c), `delete counter ${T} ${c}`]),
    ...staleQuotas.flatMap((q) => [`add quota ${T} ${q} { over 1 bytes }`, `delete quota ${T} ${q}`]),
    `flush set ${T} ${SET_IF_METERED}`,
    `flush set ${T} ${SET_IF_MOBILE}`,
  ];
  const metered = ifaces.filter((i) => i.metered).map((i) => `"${i.name}"`);
  const mobile = ifaces.filter((i) => i.kind === 'mobile').map((i) => `"${i.name}"`);
  if (metered.length) cmds.push(`add element ${T} ${SET_IF_METERED} { ${metered.join(', ')} }`);
  if (mobile.length) cmds.push(`add element ${T} ${SET_IF_MOBILE} { ${mobile.join(', ')} }`);
  for (const a of apps) {
    if (a.policy.quotaBytes === null) continue;
    const q = fwQuota(a.id);
    const limit = `over ${a.policy.quotaBytes} bytes`;
    if (a.resetQuota) cmds.push(`add quota ${T} ${q} { ${limit} }`, `delete quota ${T} ${q}`, `add quota ${T} ${q} { ${limit} }`);
    else cmds.push(`add quota ${T} ${q} { ${limit}${a.quotaUsed > 0 ? ` used ${a.quotaUsed} bytes` : ''} }`);
  }
  for (const c of counters) cmds.push(`add counter ${T} ${c}`);
  for (const a of apps) {
    const otherChain = other && other.id !== a.id ? (h: Hook) => fwAppChain(other.id, h) : () => null;
    for (const h of HOOKS) for (const s of appChainStatements(a, active, h, otherChain(h))) cmds.push(`add rule ${T} ${fwAppChain(a.id, h)} ${s}`);
  }
  for (const [map, h] of [[MAP_FW_IN, 'in'], [MAP_FW_OUT, 'out']] as const) {
    const els = [...bound].map(([path, id]) => `"${path}" : goto ${fwAppChain(id, h)}`);
    for (let i = 0; i < els.length; i += 256) cmds.push(`add element ${T} ${map} { ${els.slice(i, i + 256).join(', ')} }`);
  }
  for (const [chain, map] of [[CHAIN_FW_IN, MAP_FW_IN], [CHAIN_FW_OUT, MAP_FW_OUT]] as const) {
    for (const l of levels) cmds.push(`add rule ${T} ${chain} socket cgroupv2 level ${l} vmap @${map}`);
  }
  return { commands: cmds, objects: { chains, counters, quotas }, levels, bound: Object.fromEntries(bound) };
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
