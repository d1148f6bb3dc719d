/**
 * Writes one poll to SQLite in a single transaction: newly seen cgroups and their
 * apps, gone cgroups, usage deltas into every roll-up, and the counter values they
 * came from (so a crash between two polls loses or repeats nothing). It takes a plain
 * snapshot of the poll, whatever source counted.
 */
import { readFileSync } from 'node:fs';
import type { Db } from '../db/open';
import { getCgroupAppId, markCgroupGone, upsertApp, upsertCgroup } from '../db/queries/apps';
import { upsertInterface, upsertNetwork } from '../db/queries/interfaces';
import { addLinkCounted, putLinkStates } from '../db/queries/link-counted';
import { CounterIds, deleteCounterState, putCounterStates } from '../db/queries/state';
import { insertEvent } from '../db/queries/status';
import { getStoreStart, insertAlert, markFirstTraffic } from '../db/queries/alerts';
import { LEARNING_SECONDS, newAppAlert } from '../lib/alerts';
import { getOrCreateSeries, insertUsage, type UsageDelta } from '../db/store/usage-write';
import type { CounterDelta, CounterState } from '../lib/delta';
import type { DestDelta } from '../lib/destinations';
import { insertDestUsage, type DestUsage } from '../db/store/dest-write';
import { linkCounts, type LinkDelta, type LinkReading } from '../lib/link-counters';
import { appIdentity, unattributedIdentity, withExecutable, type AppIdentity } from '../lib/identity';
import { classifyInterface, CONTAINER_LINKS, isContainerLink } from '../lib/netkind';
import type { SeenCgroup } from './sources/cgroups';
import { containerIdentity } from './sources/containers';
import { desktopIdentity } from './sources/desktop';
import type { InterfaceInfo } from './sources/interfaces';
import { unixSeconds } from '../lib/time';

/** One poll, as the store needs it. */
export interface PollSnapshot {
  /** When the counters were read, unix ms. */
  now: number;
  /** Every cgroup the tracker knows: those not stored yet get their row, gone ones their end. */
  cgroups: Iterable<SeenCgroup>;
  /** The interface list of this poll (kind, network, link speed). */
  ifaces: InterfaceInfo[];
  deltas: CounterDelta[];
  /** What each destination added (empty when destinations are not counted). */
  dests?: DestDelta[];
  /** New values of the counters read. */
  next: CounterState[];
  /** State keys of counters that are gone for good. */
  gone: string[];
  /** The stored values before this poll, by state key: an unchanged counter is not rewritten. */
  prev: ReadonlyMap<string, CounterState>;
  /** The interfaces' own counters, when this poll read them: their growth and the new reads. */
  links?: { deltas: LinkDelta[]; next: LinkReading[] };
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
function plausible(ifaces: InterfaceInfo[], d: CounterDelta): boolean {
  const info = ifaces.find((i) => i.name === d.iface);
  if (!info || !info.speedMbps || !PHYSICAL.has(info.kind) || d.elapsedMs === null || d.elapsedMs <= 0) return true;
  const max = ((info.speedMbps * 1e6) / 8) * (d.elapsedMs / 1000) * 2 + 1e6;
  return d.bytes <= max;
}

const EXPIRY_ROUNDING_MS = 1000;

/**
 * changed says whether a counter's stored row must be rewritten. An idle element's expiry, recomputed
 * each poll from the kernel's whole seconds left, moves by rounding only (the kernel's expiry of an idle
 * element is fixed, so any estimate lies within a second of it and the stored one is as good as a fresh
 * one); rewriting it anyway would rewrite every idle element's row on every poll.
 */
function changed(prev: CounterState | undefined, s: CounterState): boolean {
  if (!prev || prev.bytes !== s.bytes || prev.packets !== s.packets || prev.tableHandle !== s.tableHandle) return true;
  if (prev.expiresAt === null || s.expiresAt === null) return prev.expiresAt !== s.expiresAt;
  return Math.abs(prev.expiresAt - s.expiresAt) > EXPIRY_ROUNDING_MS;
}

/**
 * A live cgroup that names no program (an unnamed systemd-run scope, a session) and has shown
 * no process yet waits this long to be stored, so its first process names it (withExecutable);
 * one that ends first, or stays empty, is stored under the generic name.
 */
const UNNAMED_WAIT_MS = 30_000;

/** waitsForProcess says whether a new cgroup is better stored at a later poll, named by its first process. */
function waitsForProcess(cg: SeenCgroup, now: number): boolean {
  return !cg.stored && cg.goneAt === null && cg.samplePid === null && now - cg.firstSeen < UNNAMED_WAIT_MS && appIdentity(cg.path).noOwnScope === true;
}

/** Cgroups churn for years (cron jobs, builds): past this many, the cgroup → app map starts over. */
const CGROUP_APP_MAX = 20_000;

const UNKNOWN_CGROUP: AppIdentity = { key: '(unknown cgroup)', kind: 'other', name: 'cgroups that ended before they were seen', unit: null, launcher: null };

/**
 * PollStore writes polls into one store. It keeps the ids a busy poll would otherwise look up
 * (and rewrite) for every delta: the app of a cgroup, the series of an (app, interface, network),
 * and the interface and network rows of each interface. The link ids follow the interface list
 * (refreshed every 30 s, when the poll also refreshes their last_seen), so a network change is
 * picked up with it. All of it is dropped when a transaction fails (it may have created rows
 * that were rolled back).
 */
export class PollStore {
  private cgroupApp = new Map<number, number>();
  private series = new Map<string, number>();
  private links: { of: InterfaceInfo[] | null; ids: Map<string, { ifaceId: number; networkId: number }> } = { of: null, ids: new Map() };
  private readonly counterIds: CounterIds;
  /** When the store began (unix s): first traffic within LEARNING_SECONDS of it is no new app. */
  private storeStart: number | null = null;

  constructor(
    private readonly db: Db,
    private readonly log: (level: 'info' | 'warn' | 'error', msg: string) => void,
  ) {
    this.counterIds = new CounterIds(db);
  }

  /** storePoll writes one poll; returns the cgroups it stored for the first time. */
  storePoll(p: PollSnapshot): SeenCgroup[] {
    const db = this.db;
    const ts = unixSeconds(p.now);
    const appIds = new Map<string, number>();
    const appIdOf = (ident: AppIdentity, exe: string | null = null) => {
      let id = appIds.get(ident.key);
      if (id === undefined) appIds.set(ident.key, (id = upsertApp(db, ident, ts, exe)));
      return id;
    };
    if (this.cgroupApp.size > CGROUP_APP_MAX) this.cgroupApp.clear();
    const newlyStored: SeenCgroup[] = [];
    const tx = db.transaction(() => {
      for (const cg of p.cgroups) {
        if ((cg.stored && cg.goneAt === null) || waitsForProcess(cg, p.now)) continue;
        if (!cg.stored) {
          const exe = exeOf(cg.samplePid);
          const ident = containerIdentity(desktopIdentity(withExecutable(appIdentity(cg.path), exe), cg.path), cg.path);
          upsertCgroup(db, { cgroupId: cg.id, path: cg.path, level: cg.level, appId: appIdOf(ident, exe) }, ts);
          this.cgroupApp.delete(cg.id); // the id may have named another cgroup (another boot): ask the store
          newlyStored.push(cg);
        }
        if (cg.goneAt !== null) markCgroupGone(db, cg.id, unixSeconds(cg.goneAt));
      }
      const bySeries = new Map<number, UsageDelta>();
      for (const d of p.deltas) {
        if (!plausible(p.ifaces, d)) {
          const message = `ignored ${d.bytes} bytes on ${d.iface} in ${d.elapsedMs} ms: beyond the link's line rate`;
          this.log('warn', message);
          insertEvent(db, { ts: p.now, level: 'warn', kind: 'implausible-delta', message });
          continue;
        }
        const appId = d.cgroupId === null ? appIdOf(unattributedIdentity()) : this.appOfCgroup(d.cgroupId, () => appIdOf(UNKNOWN_CGROUP));
        const seriesId = this.seriesOf(appId, this.linkOf(p.ifaces, d.iface, ts), d.iface, ts);
        const u = bySeries.get(seriesId) ?? { seriesId, rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 };
        if (d.direction === 'in') {
          u.rxBytes += d.bytes;
          u.rxPackets += d.packets;
        } else {
          u.txBytes += d.bytes;
          u.txPackets += d.packets;
        }
        bySeries.set(seriesId, u);
      }
      const rolledUp = insertUsage(db, ts, [...bySeries.values()]);
      insertDestUsage(db, ts, (p.dests ?? []).map((d) => this.destUsage(d, p.ifaces, ts, () => appIdOf(UNKNOWN_CGROUP))));
      if (p.links) this.storeLinks(p, p.links, ts);
      putCounterStates(db, this.counterIds, p.next.filter((s) => changed(p.prev.get(`${s.setName}/${s.elemKey}`), s)), { fold: rolledUp });
      for (const k of p.gone) {
        const i = k.indexOf('/');
        deleteCounterState(db, this.counterIds, k.slice(0, i), k.slice(i + 1));
      }
    });
    try {
      tx();
    } catch (e) {
      this.cgroupApp.clear();
      this.series.clear();
      this.links = { of: null, ids: new Map() };
      this.counterIds.forget();
      throw e;
    }
    return newlyStored;
  }

  /** forgetCounters drops stored counters (their kernel counters are gone), in a transaction of its own. */
  forgetCounters(keys: string[]): void {
    this.db.transaction(() => {
      for (const k of keys) {
        const i = k.indexOf('/');
        deleteCounterState(this.db, this.counterIds, k.slice(0, i), k.slice(i + 1));
      }
    })();
  }

  /** destUsage books a destination delta to its series, as storePoll books the app's own delta. */
  private destUsage(d: DestDelta, ifaces: InterfaceInfo[], ts: number, unknown: () => number): DestUsage {
    const seriesId = this.seriesOf(this.appOfCgroup(d.cgroupId, unknown), this.linkOf(ifaces, d.iface, ts), d.iface, ts);
    const out = d.direction === 'out';
    return {
      seriesId, remote: d.remote, proto: d.proto, port: d.port, inbound: d.inbound,
      rxBytes: out ? 0 : d.bytes, txBytes: out ? d.bytes : 0, rxPackets: out ? 0 : d.packets, txPackets: out ? d.packets : 0,
    };
  }

  /** storeLinks adds each interface's growth and what appnet stored on it in this poll to the hour's row. */
  private storeLinks(p: PollSnapshot, links: NonNullable<PollSnapshot['links']>, ts: number): void {
    const stored = p.deltas.filter((d) => plausible(p.ifaces, d));
    const rows = linkCounts(links.deltas, stored).map((c) => ({ ts: Math.floor(ts / 3600) * 3600, ...this.linkOf(p.ifaces, c.name, ts), firstAt: unixSeconds(c.since), appnet: c.appnet, iface: c.iface }));
    addLinkCounted(this.db, rows);
    putLinkStates(this.db, links.next);
  }

  private appOfCgroup(cgroupId: number, unknown: () => number): number {
    const known = this.cgroupApp.get(cgroupId) ?? getCgroupAppId(this.db, cgroupId);
    if (known === undefined) return unknown();
    this.cgroupApp.set(cgroupId, known);
    return known;
  }

  private linkOf(ifaces: InterfaceInfo[], name: string, ts: number): { ifaceId: number; networkId: number } {
    if (this.links.of !== ifaces) this.links = { of: ifaces, ids: new Map() };
    let v = this.links.ids.get(name);
    if (!v) {
      const info = ifaces.find((i) => i.name === name);
      const kind = info?.kind ?? classifyInterface({ name, type: null, devtype: null, wireless: false, driver: null });
      // An interface gone before the list named it (a container's veth) still joins its group.
      const net = info ? { netKey: info.netKey, name: info.netName, meteredAuto: info.meteredAuto }
        : isContainerLink(name, kind) ? { netKey: CONTAINER_LINKS.netKey, name: CONTAINER_LINKS.netName, meteredAuto: false }
        : { netKey: `iface:${name}`, name, meteredAuto: null };
      const networkId = upsertNetwork(this.db, { ...net, kind }, ts);
      const ifaceId = upsertInterface(this.db, { name, kind, mac: info?.mac ?? null, networkId }, ts);
      this.links.ids.set(name, (v = { ifaceId, networkId }));
    }
    return v;
  }

  /** seriesOf finds or creates an (app, interface, network) series; an app's first one is its first traffic (an alert). */
  private seriesOf(appId: number, link: { ifaceId: number; networkId: number }, iface: string, ts: number): number {
    const sk = `${appId}|${link.ifaceId}|${link.networkId}`;
    let id = this.series.get(sk);
    if (id === undefined) {
      this.series.set(sk, (id = getOrCreateSeries(this.db, appId, link.ifaceId, link.networkId)));
      const first = markFirstTraffic(this.db, appId, ts);
      this.storeStart ??= getStoreStart(this.db) ?? ts;
      if (first && ts >= this.storeStart + LEARNING_SECONDS) insertAlert(this.db, newAppAlert(first, iface, ts));
    }
    return id;
  }
}
