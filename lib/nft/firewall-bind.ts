/**
 * Which cgroup goes to which app chain, per hook, and which app chains need conntrack.
 * Every `socket cgroupv2` lookup costs a full socket lookup on ingress (unless early
 * demux already found the socket), and one ct expression anywhere in the table turns
 * conntrack on for the whole namespace; so a hook gets map elements only for apps whose
 * chain on that hook does something, and a chain tests `ct direction reply` only when a
 * later statement of it could drop the packet.
 */
import { appIdentity, cgroupLevel } from '../identity';
import type { AppPolicy, Rule } from '../rules/model';
import type { Hook } from './firewall-rule';
import { MAX_LEVEL, isSafeCgroupPath } from './names';

/**
 * A map element's target: an app chain id (negative: a plain drop, for an app kept closed
 * although its settings were unusable), or `accept` to stop a parent's binding applying to
 * a cgroup whose own app does nothing on this hook.
 */
export type HookTarget = number | 'accept';

const parentOf = (path: string): string => path.slice(0, Math.max(0, path.lastIndexOf('/')));

/**
 * resolveTargets gives each live cgroup the app chain it belongs to: its own app's (by app
 * key or exact path), else its parent's; below the root, the other-apps chain (or none).
 */
function resolveTargets(cgroups: string[], selectors: Map<string, number>, otherId: number | null): Map<string, number | null> {
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
  for (const path of cgroups) if (isSafeCgroupPath(path) && cgroupLevel(path) <= MAX_LEVEL) resolve(path);
  return target;
}

/**
 * elementsFor writes an element only where a cgroup's answer differs from its parent's,
 * since a lookup at a deeper level that finds nothing falls through to the parent's
 * level. `project` maps an app to what its chain does on the hook (null: nothing).
 */
function elementsFor<T>(cgroups: string[], target: Map<string, number | null>, project: (id: number | null) => T | null, nothing: T): Map<string, T> {
  const elements = new Map<string, T>();
  for (const path of [...cgroups].sort()) {
    if (!target.has(path)) continue;
    const own = project(target.get(path) ?? null);
    const up = path.includes('/') ? project(target.get(parentOf(path)) ?? null) : null;
    if (own !== up) elements.set(path, own ?? nothing);
  }
  return elements;
}

/**
 * bindCgroups decides which app chain each live cgroup goes to (see resolveTargets),
 * written only where the answer differs from the parent's.
 */
export function bindCgroups(cgroups: string[], selectors: Map<string, number>, otherId: number | null): Map<string, number> {
  const target = resolveTargets(cgroups, selectors, otherId);
  return elementsFor<number>(cgroups, target, (id) => id, -1);
}

/**
 * bindHook is bindCgroups for one hook, where `active` says whether an app's chain does
 * anything there: cgroups of inactive apps get no element, or `accept` where a parent's
 * app would otherwise apply to them.
 */
export function bindHook(cgroups: string[], selectors: Map<string, number>, otherId: number | null, active: (id: number) => boolean): Map<string, HookTarget> {
  const target = resolveTargets(cgroups, selectors, otherId);
  return elementsFor<HookTarget>(cgroups, target, (id) => (id !== null && active(id) ? id : null), 'accept');
}

export interface ChainApp {
  id: number;
  policy: AppPolicy;
}

/** What an app chain does on one hook. */
export interface ChainUse {
  /** Its chain does something: a cap, a rule (rules count hits), a restricting default, or a goto to an active other-apps chain. */
  active: boolean;
  /** A statement after the `ct direction reply accept` line could drop a reply. */
  needsCt: boolean;
}

const restricts = (p: AppPolicy['defaultIn']) => p === 'drop' || p === 'reject';

/**
 * chainUses works out, for each app and hook, whether its chain is worth a lookup and
 * whether it needs the conntrack line. The other-apps chain is a goto target of the
 * others, so it is decided first. An app falling through to it needs the line only when
 * that chain can drop (cap or restriction): a reply it merely counts or allows goes
 * through either way.
 */
export function chainUses(apps: ChainApp[], rules: Rule[], otherId: number | null): Map<string, ChainUse> {
  const out = new Map<string, ChainUse>();
  const key = (id: number, h: Hook) => `${id}:${h}`;
  const decide = (a: ChainApp, h: Hook): ChainUse => {
    const mine = rules.filter((r) => r.app === a.policy.app && r.enabled && (r.direction === 'both' || r.direction === h));
    const dflt = h === 'in' ? a.policy.defaultIn : a.policy.defaultOut;
    const cap = a.policy.quotaBytes !== null;
    const own = mine.some((r) => r.action === 'drop' || r.action === 'reject') || restricts(dflt);
    const other = dflt === 'inherit' && otherId !== null && otherId !== a.id ? out.get(key(otherId, h)) : undefined;
    const otherCanDrop = other !== undefined && (other.needsCt || hasCap(apps, otherId));
    return { active: cap || mine.length > 0 || own || Boolean(other?.active), needsCt: own || otherCanDrop };
  };
  const ordered = [...apps].sort((a, b) => Number(b.id === otherId) - Number(a.id === otherId));
  for (const a of ordered) for (const h of ['in', 'out'] as const) out.set(key(a.id, h), decide(a, h));
  return out;
}

function hasCap(apps: ChainApp[], id: number | null): boolean {
  return apps.some((a) => a.id === id && a.policy.quotaBytes !== null);
}

/** chainUse reads one entry of chainUses (an unknown app does nothing). */
export function chainUse(uses: Map<string, ChainUse>, id: number, h: Hook): ChainUse {
  return uses.get(`${id}:${h}`) ?? { active: false, needsCt: false };
}
