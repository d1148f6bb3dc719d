/**
 * Writes one poll to SQLite in a single transaction: newly seen cgroups and their
 * apps, gone cgroups, usage deltas into every roll-up, and the counter values they
 * came from (so a crash between two polls loses or repeats nothing).
 */
import { readFileSync } from 'node:fs';
import { getCgroupAppId, markCgroupGone, upsertApp, upsertCgroup } from '../db/queries/apps';
import { upsertInterface, upsertNetwork } from '../db/queries/interfaces';
import { deleteCounterState, forgetCounterIds, putCounterStates, type StoredState } from '../db/queries/state';
import { insertEvent } from '../db/queries/status';
import { getOrCreateSeries, insertUsage, type UsageDelta } from '../db/store/usage-write';
import { appIdentity, unattributedIdentity, withExecutable, type AppIdentity } from '../lib/identity';
import { classifyInterface } from '../lib/netkind';
import type { PollContext } from './poll';
import { desktopIdentity } from './sources/desktop';

export interface ElementDelta {
  set: string;
  cgroupId: number | null;
  iface: string;
  bytes: number;
  packets: number;
  /** Time since the previous read of this element, ms; null for a new element. */
  elapsedMs: number | null;
}

export interface PollDeltas {
  deltas: ElementDelta[];
  next: StoredState[];
  gone: string[];
}

const PHYSICAL = new Set(['wifi', 'ethernet', 'mobile', 'tethering']);

function exeOf(pid: number | null): string | null {
  if (pid === null) return null;
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/**
 * plausible rejects a delta beyond twice the link's line rate over the interval (a corrupt or foreign counter).
 * A wall clock stepped back since the last read (NTP, RTC at boot) leaves no interval to judge by.
 */
function plausible(ctx: PollContext, d: ElementDelta): boolean {
  const info = ctx.st.ifaces.find((i) => i.name === d.iface);
  if (!info || !info.speedMbps || !PHYSICAL.has(info.kind) || d.elapsedMs === null || d.elapsedMs <= 0) return true;
  const max = ((info.speedMbps * 1e6) / 8) * (d.elapsedMs / 1000) * 2 + 1e6;
  return d.bytes <= max;
}

/**
 * changed says whether a counter's stored row must be rewritten. An idle element's expiry, recomputed
 * each poll from the kernel's whole seconds left, moves by rounding only (the kernel's expiry of an idle
 * element is fixed, so any estimate lies within a second of it and the stored one is as good as a fresh
 * one); rewriting it anyway would rewrite every idle element's row on every poll.
 */
function changed(prev: StoredState | undefined, s: StoredState): boolean {
  if (!prev || prev.bytes !== s.bytes || prev.packets !== s.packets || prev.tableHandle !== s.tableHandle) return true;
  if (prev.expiresAt === null || s.expiresAt === null) return prev.expiresAt !== s.expiresAt;
  return Math.abs(prev.expiresAt - s.expiresAt) > EXPIRY_ROUNDING_MS;
}

const EXPIRY_ROUNDING_MS = 1000;

/**
 * Ids a busy poll would otherwise look up (and rewrite) for every delta: the app of a cgroup, the
 * series of an (app, interface, network), and the interface and network rows of each interface. The
 * link ids follow the interface list (refreshed every 30 s, when recordInterfaces also refreshes
 * their last_seen), so a network change is picked up with it. Kept per poll state, dropped whole
 * when a transaction fails (it may have created rows that were rolled back).
 */
interface IdCache {
  cgroupApp: Map<number, number>;
  series: Map<string, number>;
  links: WeakMap<object, Map<string, { ifaceId: number; networkId: number }>>;
}

const idCaches = new WeakMap<object, IdCache>();

/** Cgroups churn for years (cron jobs, builds): past this many, the cgroup → app map starts over. */
const CGROUP_APP_MAX = 20_000;

function idCacheOf(st: object): IdCache {
  let c = idCaches.get(st);
  if (!c) idCaches.set(st, (c = { cgroupApp: new Map(), series: new Map(), links: new WeakMap() }));
  if (c.cgroupApp.size > CGROUP_APP_MAX) c.cgroupApp.clear();
  return c;
}

/** storePoll writes one poll's results; see the file comment. */
export function storePoll(ctx: PollContext, c: PollDeltas, now: number): void {
  const { db, tracker } = ctx;
  const ts = Math.floor(now / 1000);
  const appIds = new Map<string, number>();
  const appIdOf = (ident: AppIdentity, exe: string | null = null) => {
    let id = appIds.get(ident.key);
    if (id === undefined) {
      id = upsertApp(db, ident, ts, exe);
      appIds.set(ident.key, id);
    }
    return id;
  };
  const cache = idCacheOf(ctx.st);
  const cgroupApp = cache.cgroupApp;
  const newlyStored: Array<{ stored: boolean }> = [];
  const tx = db.transaction(() => {
    for (const cg of tracker.seen.values()) {
      if (cg.stored && cg.goneAt === null) continue;
      if (!cg.stored) {
        const exe = exeOf(cg.samplePid);
        const ident = desktopIdentity(withExecutable(appIdentity(cg.path), exe), cg.path);
        const appId = appIdOf(ident, exe);
        upsertCgroup(db, { cgroupId: cg.id, path: cg.path, level: cg.level, appId }, ts);
        cgroupApp.delete(cg.id); // the id may have named another cgroup (another boot): ask the store
        newlyStored.push(cg);
      }
      if (cg.goneAt !== null) markCgroupGone(db, cg.id, Math.floor(cg.goneAt / 1000));
    }
    const ifaceIds = cache.links.get(ctx.st.ifaces) ?? new Map<string, { ifaceId: number; networkId: number }>();
    cache.links.set(ctx.st.ifaces, ifaceIds);
    const ifaceOf = (name: string) => {
      let v = ifaceIds.get(name);
      if (!v) {
        const info = ctx.st.ifaces.find((i) => i.name === name);
        const kind = info?.kind ?? classifyInterface({ name, type: null, devtype: null, wireless: false, driver: null });
        const networkId = upsertNetwork(db, { netKey: info?.netKey ?? `iface:${name}`, name: info?.netName ?? name, kind, meteredAuto: info?.meteredAuto ?? null }, ts);
        const ifaceId = upsertInterface(db, { name, kind, mac: info?.mac ?? null, networkId }, ts);
        v = { ifaceId, networkId };
        ifaceIds.set(name, v);
      }
      return v;
    };
    const bySeries = new Map<number, UsageDelta>();
    for (const d of c.deltas) {
      if (!plausible(ctx, d)) {
        const message = `ignored ${d.bytes} bytes on ${d.iface} in ${d.elapsedMs} ms: beyond the link's line rate`;
        ctx.log('warn', message);
        insertEvent(db, { ts: now, level: 'warn', kind: 'implausible-delta', message });
        continue;
      }
      let appId: number;
      if (d.cgroupId === null) appId = appIdOf(unattributedIdentity());
      else {
        const known = cgroupApp.get(d.cgroupId) ?? getCgroupAppId(db, d.cgroupId);
        appId = known ?? appIdOf({ key: '(unknown cgroup)', kind: 'other', name: 'cgroups that ended before they were seen', unit: null, launcher: null });
        if (known !== undefined) cgroupApp.set(d.cgroupId, appId);
      }
      const { ifaceId, networkId } = ifaceOf(d.iface);
      const sk = `${appId}|${ifaceId}|${networkId}`;
      let seriesId = cache.series.get(sk);
      if (seriesId === undefined) cache.series.set(sk, (seriesId = getOrCreateSeries(db, appId, ifaceId, networkId)));
      const u = bySeries.get(seriesId) ?? { seriesId, rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 };
      if (d.set.endsWith('_in')) {
        u.rxBytes += d.bytes;
        u.rxPackets += d.packets;
      } else {
        u.txBytes += d.bytes;
        u.txPackets += d.packets;
      }
      bySeries.set(seriesId, u);
    }
    const rolledUp = insertUsage(db, ts, [...bySeries.values()]);
    putCounterStates(db, c.next.filter((s) => changed(ctx.st.states.get(`${s.setName}/${s.elemKey}`), s)), { fold: rolledUp });
    for (const k of c.gone) {
      const i = k.indexOf('/');
      deleteCounterState(db, k.slice(0, i), k.slice(i + 1));
    }
  });
  try {
    tx();
  } catch (e) {
    idCaches.delete(ctx.st);
    forgetCounterIds(db);
    throw e;
  }
  for (const cg of newlyStored) cg.stored = true;
}
