/**
 * One poll: scan cgroups, refresh interfaces, have the reconciler keep our nft table in
 * shape, read the counter sources and store their deltas in one SQLite transaction. Each
 * part is timed and isolated: one that fails is recorded and the others still run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../db/open';
import { markAbsentCgroupsGone } from '../db/queries/apps';
import { forgetLinkStates, getLinkStates } from '../db/queries/link-counted';
import { getCounterStates } from '../db/queries/state';
import { insertEvent, putSourceStatus } from '../db/queries/status';
import { upsertInterface, upsertNetwork } from '../db/queries/interfaces';
import { cgroupIdOfElemKey } from '../lib/counters';
import type { CounterState, CounterValue } from '../lib/delta';
import { linkDeltas, type LinkReading } from '../lib/link-counters';
import type { SegmentViews } from '../lib/segments';
import type { DestinationsCause } from '../lib/dest-state';
import type { CollectorConfig } from './config';
import type { Reconciler } from './reconcile';

export type { RulesetExtension } from './reconcile';
export { ensureRuleset } from './ruleset';
import { CgroupTracker, type LiveCgroup } from './sources/cgroups';
import { readInterfaces, readLinkCounters, type InterfaceInfo } from './sources/interfaces';
import type { BpfCounterSource } from './sources/bpf-counters';
import type { DnsNameSource } from './sources/dns-names';
import { DEST_FAMILY } from '../lib/destinations';
import type { InterfaceNames, NftCounterSource } from './sources/nft-counters';
import { countersDetail, dropGoneBpf, dropGoneDests, dropVanished, noteNewGeneration, pollDeltas, readCounters, warnIfDestsFull, warnIfFull, type Counters, type PollDeltas } from './poll-counters';
import { ensureRuleset } from './ruleset';
import type { PollStore } from './store';
import { unixSeconds } from '../lib/time';
import { warnEvent } from './warn-event';

export type Log = (level: 'info' | 'warn' | 'error', msg: string) => void;

export interface PollContext {
  cfg: CollectorConfig;
  db: Db;
  tracker: CgroupTracker;
  /** The only writer of our nft table. */
  reconciler: Reconciler;
  /** Our table's counters: per app and unattributed, or (next to the BPF counter) none; its firewall counters either way. */
  nft: NftCounterSource;
  /** Interface names by index, learned from each poll's reading of the interfaces (nft's destination sets are keyed by index). */
  ifnames: InterfaceNames;
  /** The BPF counter, when it counts per app (collector/counter-select.ts chose it); null: nft counts. */
  bpf: BpfCounterSource | null;
  /** The reader of logged DNS answers (host names of destinations), next to the BPF counter; null: none. */
  dns: DnsNameSource | null;
  store: PollStore;
  log: Log;
  /** Mutable state carried between polls. */
  st: PollState;
}

export interface PollState {
  /** The last stored value of every counter, by state key. */
  states: Map<string, CounterState>;
  /** level → last time (ms) a cgroup at that level held processes. */
  levelsSeen: Map<number, number>;
  ifaces: InterfaceInfo[];
  ifacesAt: number;
  /** The last stored read of every interface's own counters, by name. */
  links: Map<string, LinkReading>;
  /** When this run last stored a read of all interfaces, unix ms: an interface first read after it is new (null: none yet). */
  linksAt: number | null;
  /** Generation (table handle) of the nft counters at the last stored poll. */
  lastHandle: number | null;
  /** Generation (map id) of the BPF counters at the last stored poll. */
  lastMapId: number | null;
  /** Negative rests of total − apps per 'direction|iface', carried to the next poll (lib/unattributed.ts). */
  carry: Map<string, CounterValue>;
  /** Which interfaces carry segments, per 'direction|iface' (lib/segments.ts). */
  segmentViews: SegmentViews;
  lastFullWarnAt: number;
  /** Why destinations are (not) recorded, as this run last stored it (lib/dest-state.ts); null: not yet. */
  destsCause: DestinationsCause | null;
  live: LiveCgroup[];
  /** The run has checked the counters the previous run stored (forgetStaleCounters). */
  started: boolean;
  /** The run has stamped the stored cgroups that ended while no collector ran. */
  treeChecked: boolean;
}

/** bootedAt is when this machine booted, unix ms (from /proc/uptime); null when unknown. */
export function bootedAt(): number | null {
  try {
    const up = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    return Number.isFinite(up) ? Date.now() - up * 1000 : null;
  } catch {
    return null;
  }
}

/**
 * newPollState loads what the previous run stored, so a restart resumes exactly. The interfaces'
 * counters start from zero at boot: a reading stored before this boot (`booted`) is dropped, or
 * the new counters, once above it, would be read as its growth and lose what the old one counted
 * (next to the BPF program these are the totals the unattributed rest is made of).
 */
export function newPollState(db: Db, booted: number | null = bootedAt()): PollState {
  const states = new Map<string, CounterState>();
  let lastHandle: number | null = null;
  for (const s of getCounterStates(db)) {
    states.set(`${s.setName}/${s.elemKey}`, s);
    if (s.setName.startsWith('bpf_') || s.setName === DEST_FAMILY) continue;
    lastHandle = lastHandle === null ? s.tableHandle : Math.max(lastHandle, s.tableHandle);
  }
  // A second of slack: uptime and the clock are read a moment apart.
  const links = new Map(getLinkStates(db).filter((r) => booted === null || r.readAt >= booted - 1000).map((r) => [r.name, r]));
  return { states, levelsSeen: new Map(), ifaces: [], ifacesAt: 0, links, linksAt: null, lastHandle, lastMapId: null, carry: new Map(), segmentViews: new Map(), lastFullWarnAt: 0, destsCause: null, live: [], started: false, treeChecked: false };
}

export interface SourceResult<T> {
  ok: boolean;
  value?: T;
  error?: string;
  ms: number;
}

/** runSource times one part of a poll, records its status and never throws. */
export async function runSource<T>(ctx: PollContext, name: string, fn: () => Promise<T> | T, detail?: (v: T) => unknown): Promise<SourceResult<T>> {
  const t0 = performance.now();
  try {
    const value = await fn();
    const ms = performance.now() - t0;
    putSourceStatus(ctx.db, { source: name, ok: true, lastRun: Date.now(), durationMs: ms, error: null, detail: detail ? detail(value) : null });
    return { ok: true, value, ms };
  } catch (err) {
    const ms = performance.now() - t0;
    const error = err instanceof Error ? err.message : String(err);
    try {
      putSourceStatus(ctx.db, { source: name, ok: false, lastRun: Date.now(), durationMs: ms, error, detail: null });
    } catch {
      /* the store itself is failing: the loop reports it */
    }
    ctx.log('error', `${name}: ${error}`);
    return { ok: false, error, ms };
  }
}

export interface PollReport {
  ok: boolean;
  durationMs: number;
  elements: number;
  deltas: number;
  bytes: number;
}

/**
 * forgetStaleCounters runs before a run first applies the ruleset. When our table is not in the
 * kernel, the counters the previous run stored belong to a table that is gone (a reboot, or
 * deleted while no collector ran). The table made now often gets the same handle (handles start
 * again in each network namespace: the first table of a boot is handle 1), so the handle cannot
 * tell them apart, and an element with the same key would be read as continuing from the old
 * value: undercounted. The stored values are dropped instead, so every element counts from zero.
 */
async function forgetStaleCounters(ctx: PollContext, now: number): Promise<void> {
  const mine = new Set(ctx.nft.stateFamilies);
  const stale = [...ctx.st.states.values()].filter((s) => mine.has(s.setName)).map((s) => `${s.setName}/${s.elemKey}`);
  if (stale.length === 0) return;
  let present: boolean;
  try {
    present = (await ctx.nft.read()) !== null;
  } catch (err) {
    ctx.log('warn', `could not check for our table before applying it: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  if (present) return;
  ctx.store.forgetCounters(stale);
  for (const k of stale) ctx.st.states.delete(k);
  ctx.st.lastHandle = null;
  const msg = 'the appnet nft table was not there when the collector started (a reboot, or deleted while no collector ran): counting starts again from zero; traffic while it was missing is not counted';
  warnEvent(ctx, 'table-recreated', msg, now);
}

/** refreshInventory updates the live cgroups and (every 30 s) the interfaces. */
async function refreshInventory(ctx: PollContext, now: number): Promise<void> {
  const cg = await runSource(ctx, 'cgroups', () => ctx.tracker.refresh(now), (v) => ({ cgroups: v.length, tracked: ctx.tracker.seen.size, watches: ctx.tracker.watchCount, rescans: ctx.tracker.rescans, repaired: ctx.tracker.repaired }));
  if (cg.ok && cg.value) {
    ctx.st.live = cg.value;
    // Cgroups that ended while no collector ran (after a reboot: all of them) are gone now.
    if (!ctx.st.treeChecked) {
      ctx.st.treeChecked = true;
      markAbsentCgroupsGone(ctx.db, cg.value.map((c) => c.id), unixSeconds(now));
    }
  }
  if (now - ctx.st.ifacesAt > 30_000 || ctx.st.ifaces.length === 0) {
    const ifs = await runSource(ctx, 'interfaces', () => readInterfaces(ctx.cfg.sysClassNet), (v) => ({ interfaces: v.length }));
    if (ifs.ok && ifs.value) {
      ctx.st.ifaces = ifs.value;
      ctx.st.ifacesAt = now;
      recordInterfaces(ctx, ifs.value, now);
    }
  }
}

/** afterStore settles the in-memory state with what was stored and removes the counters of cgroups and interfaces that are gone. */
async function afterStore(ctx: PollContext, r: Counters, c: PollDeltas, now: number, links: { next: LinkReading[] } | undefined): Promise<void> {
  for (const s of c.next) ctx.st.states.set(`${s.setName}/${s.elemKey}`, s);
  for (const k of c.gone) ctx.st.states.delete(k);
  if (links) forgetGoneLinks(ctx, links.next);
  ctx.st.lastHandle = r.nft.snapshot.generation;
  ctx.st.lastMapId = r.bpf?.generation ?? null;
  ctx.st.carry = c.carry;
  forgetUncounted(ctx, now);
  await dropVanished(ctx, c).catch((err: unknown) => ctx.log('error', `vanished interfaces: ${err instanceof Error ? err.message : String(err)}`));
  await dropGoneBpf(ctx, c.bpfIdle).catch((err: unknown) => ctx.log('error', `gone cgroups' BPF counters: ${err instanceof Error ? err.message : String(err)}`));
  await dropGoneDests(ctx, c.destIdle).catch((err: unknown) => ctx.log('error', `gone cgroups' destinations: ${err instanceof Error ? err.message : String(err)}`));
}

/** poll runs one complete poll; see the file comment. */
export async function poll(ctx: PollContext): Promise<PollReport> {
  const t0 = performance.now();
  const now = Date.now();
  if (!ctx.st.started) {
    ctx.st.started = true;
    await forgetStaleCounters(ctx, now);
  }
  await refreshInventory(ctx, now);
  await runSource(ctx, 'ruleset', () => ensureRuleset(ctx, { force: false }));
  // The interfaces' statistics just before the counters: next to the BPF map they are the totals
  // (lib/unattributed.ts says why before), and they name the interfaces nft's destinations index.
  const linkRead = await runSource(ctx, 'interface-counters', async () => readLinkCounters(ctx.cfg.sysClassNet, Date.now()), (v) => ({ interfaces: v.length }));
  if (linkRead.value) ctx.ifnames.learn(linkRead.value);
  const counters = await runSource(ctx, 'counters', () => readCounters(ctx), (r) => countersDetail(ctx, r));
  const links = linkRead.ok && linkRead.value ? { deltas: linkDeltas(ctx.st.links, linkRead.value, ctx.st.linksAt), next: linkRead.value } : undefined;
  let report: PollReport = { ok: false, durationMs: 0, elements: 0, deltas: 0, bytes: 0 };
  if (counters.ok && counters.value) {
    const r = counters.value;
    const stored = await runSource(ctx, 'store', () => {
      const c = pollDeltas(ctx, r, now, links?.deltas);
      noteNewGeneration(ctx, r, now);
      const fresh = ctx.store.storePoll({ now, cgroups: ctx.tracker.seen.values(), ifaces: ctx.st.ifaces, deltas: c.deltas, dests: c.dests, next: c.next, gone: c.gone, prev: ctx.st.states, links });
      for (const cg of fresh) cg.stored = true;
      return c;
    }, (c) => ({ deltas: c.deltas.length }));
    if (stored.ok && stored.value) {
      const c = stored.value;
      await afterStore(ctx, r, c, now, links);
      const elements = r.nft.snapshot.entries.length + (r.bpf?.entries.length ?? 0);
      report = { ok: true, durationMs: 0, elements, deltas: c.deltas.length, bytes: c.deltas.reduce((n, d) => n + d.bytes, 0) };
    }
    warnIfFull(ctx, r.nft.snapshot, now);
    warnIfDestsFull(ctx, r, now);
    if (r.bpf) warnIfFull(ctx, r.bpf, now);
  }
  report.durationMs = performance.now() - t0;
  if (report.durationMs > (ctx.cfg.elementTimeoutSec * 1000) / 4) {
    ctx.log('warn', `a poll took ${Math.round(report.durationMs)} ms, over a quarter of the ${ctx.cfg.elementTimeoutSec} s element timeout: counters of cgroups that just ended may expire unread`);
  }
  putSourceStatus(ctx.db, { source: 'poll', ok: report.ok, lastRun: now, durationMs: report.durationMs, error: report.ok ? null : 'see the failing source', detail: report });
  return report;
}

/**
 * recordInterfaces stores every interface and the network it is on as soon as it is
 * seen, before it carries traffic: the dashboard lists it, and firewall rules for its
 * network class (metered, mobile) hold from its first packet.
 */
function recordInterfaces(ctx: PollContext, ifaces: InterfaceInfo[], now: number): void {
  const ts = unixSeconds(now);
  ctx.db.transaction(() => {
    for (const i of ifaces) {
      const networkId = upsertNetwork(ctx.db, { netKey: i.netKey, name: i.netName, kind: i.kind, meteredAuto: i.meteredAuto }, ts);
      upsertInterface(ctx.db, { name: i.name, kind: i.kind, mac: i.mac, networkId }, ts);
    }
  })();
}

/**
 * forgetGoneLinks keeps this poll's reading of every interface as the base of the next, and
 * forgets the interfaces that are gone (absent from sysfs), in memory and in the store: a
 * container host's veths would otherwise pile up. One merely unreadable this time keeps its
 * reading.
 */
function forgetGoneLinks(ctx: PollContext, next: readonly LinkReading[]): void {
  for (const l of next) ctx.st.links.set(l.name, l);
  ctx.st.linksAt = Math.max(ctx.st.linksAt ?? 0, ...next.map((l) => l.readAt));
  const read = new Set(next.map((l) => l.name));
  const gone = [...ctx.st.links.keys()].filter((n) => !read.has(n) && !existsSync(join(ctx.cfg.sysClassNet, n)));
  if (!gone.length) return;
  for (const n of gone) ctx.st.links.delete(n);
  forgetLinkStates(ctx.db, gone);
}

/** forgetUncounted drops gone cgroups no kernel counter refers to any more: memory stays flat under churn. */
function forgetUncounted(ctx: PollContext, now: number): void {
  const counted = new Set<number>();
  for (const s of ctx.st.states.values()) {
    const id = cgroupIdOfElemKey(s.elemKey);
    if (id !== null) counted.add(id);
  }
  ctx.tracker.forget(counted, now - ctx.cfg.intervalSec * 2000);
}

