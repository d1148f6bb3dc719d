/**
 * One poll: scan cgroups, refresh interfaces, have the reconciler keep our nft table in
 * shape, read the counter sources and store their deltas in one SQLite transaction. Each
 * part is timed and isolated: one that fails is recorded and the others still run.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../db/open';
import { markAbsentCgroupsGone } from '../db/queries/apps';
import { getLinkStates } from '../db/queries/link-counted';
import { getCounterStates } from '../db/queries/state';
import { insertEvent, putSourceStatus } from '../db/queries/status';
import { upsertInterface, upsertNetwork } from '../db/queries/interfaces';
import { cgroupIdOfElemKey, entryElemKey, stateKey, type CounterEntry, type CounterSnapshot } from '../lib/counters';
import { computeDeltas, type CounterState, type CounterValue, type DeltaResult } from '../lib/delta';
import { linkDeltas, type LinkDelta, type LinkReading } from '../lib/link-counters';
import { atWireLevel, updateSegmentViews, type SegmentViews } from '../lib/segments';
import { unattributedDeltas } from '../lib/unattributed';
import { accountingCommands, normaliseLevels } from '../lib/nft/accounting';
import type { CollectorConfig } from './config';
import type { Reconciler } from './reconcile';

export type { RulesetExtension } from './reconcile';
import { CgroupTracker, type LiveCgroup } from './sources/cgroups';
import { readInterfaces, readLinkCounters, type InterfaceInfo } from './sources/interfaces';
import { BPF_SEGMENT_FAMILIES, type BpfCounterSource } from './sources/bpf-counters';
import type { NftCounterSource, NftReading } from './sources/nft-counters';
import type { PollStore } from './store';

export type Log = (level: 'info' | 'warn' | 'error', msg: string) => void;

export interface PollContext {
  cfg: CollectorConfig;
  db: Db;
  tracker: CgroupTracker;
  /** The only writer of our nft table. */
  reconciler: Reconciler;
  /** Our table's counters: per app and unattributed, or (next to the BPF counter) per-interface totals. */
  nft: NftCounterSource;
  /** The BPF counter, when it counts per app (collector/counter-select.ts chose it); null: nft counts. */
  bpf: BpfCounterSource | null;
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
  /** Generation (table handle) of the nft counters at the last stored poll. */
  lastHandle: number | null;
  /** Generation (map id) of the BPF counters at the last stored poll. */
  lastMapId: number | null;
  /** Negative rests of total − apps per 'direction|iface', carried to the next poll (lib/unattributed.ts). */
  carry: Map<string, CounterValue>;
  /** Which interfaces carry segments, per 'direction|iface' (lib/segments.ts). */
  segmentViews: SegmentViews;
  lastFullWarnAt: number;
  live: LiveCgroup[];
  /** The run has checked the counters the previous run stored (forgetStaleCounters). */
  started: boolean;
  /** The run has stamped the stored cgroups that ended while no collector ran. */
  treeChecked: boolean;
}

/** newPollState loads what the previous run stored, so a restart resumes exactly. */
export function newPollState(db: Db): PollState {
  const states = new Map<string, CounterState>();
  let lastHandle: number | null = null;
  for (const s of getCounterStates(db)) {
    states.set(`${s.setName}/${s.elemKey}`, s);
    if (s.setName.startsWith('bpf_')) continue;
    lastHandle = lastHandle === null ? s.tableHandle : Math.max(lastHandle, s.tableHandle);
  }
  const links = new Map(getLinkStates(db).map((r) => [r.name, r]));
  return { states, levelsSeen: new Map(), ifaces: [], ifacesAt: 0, links, lastHandle, lastMapId: null, carry: new Map(), segmentViews: new Map(), lastFullWarnAt: 0, live: [], started: false, treeChecked: false };
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

const LEVEL_STICKY_MS = 15 * 60_000;

/**
 * currentLevels is every level where processes live or are about to: populated
 * cgroups and leaves (a fresh scope is an empty leaf for the moment before its first
 * process joins), kept for 15 minutes after they were last seen (sockets outlive moves).
 */
function currentLevels(st: PollState, live: LiveCgroup[], now: number): number[] {
  const parents = new Set<string>();
  for (const c of live) {
    const i = c.path.lastIndexOf('/');
    if (i > 0) parents.add(c.path.slice(0, i));
  }
  for (const c of live) if (c.populated || !parents.has(c.path)) st.levelsSeen.set(c.level, now);
  for (const [l, at] of st.levelsSeen) if (now - at > LEVEL_STICKY_MS) st.levelsSeen.delete(l);
  const levels = normaliseLevels([...st.levelsSeen.keys()]);
  return levels.length ? levels : [1];
}

/** ensureRuleset has the reconciler apply our table when it is missing, incomplete, or the desired state changed. */
export async function ensureRuleset(ctx: PollContext, opts: { force: boolean }): Promise<boolean> {
  const { st, cfg } = ctx;
  const levels = currentLevels(st, st.live, Date.now());
  const role = ctx.nft.currentRole;
  const accounting = accountingCommands({ levels, elementTimeoutSec: cfg.elementTimeoutSec, role });
  const key = role === 'totals' ? role : `${levels.join(',')}#${cfg.elementTimeoutSec}`;
  const r = await ctx.reconciler.ensure({ accounting, accountingKey: key, live: st.live, ifaces: st.ifaces }, opts);
  return r.applied;
}

/** readTable reads our table; re-creates it (and says so) when someone deleted it, repairs it when incomplete. */
async function readTable(ctx: PollContext): Promise<NftReading> {
  let read = await ctx.nft.read();
  if (read === null) {
    if (ctx.st.lastHandle !== null) {
      const msg = 'the appnet nft table was missing (deleted by hand or after a reboot): re-created it; traffic while it was gone is not counted';
      ctx.log('warn', msg);
      insertEvent(ctx.db, { ts: Date.now(), level: 'warn', kind: 'table-recreated', message: msg });
    }
    await ensureRuleset(ctx, { force: true });
    read = await ctx.nft.read();
    if (read === null) throw new Error('the appnet nft table is still missing after creating it');
  }
  ctx.reconciler.extension?.observe(read.firewall);
  if (!ctx.nft.complete(read)) {
    ctx.log('warn', 'our accounting chains were incomplete: repaired them');
    insertEvent(ctx.db, { ts: Date.now(), level: 'warn', kind: 'ruleset-repaired', message: 'accounting chains were missing or empty and were restored' });
    await ensureRuleset(ctx, { force: true });
    read = await ctx.nft.read();
    if (read === null) throw new Error('the appnet nft table vanished while its chains were repaired');
  }
  return read;
}

/**
 * deltasOf computes a snapshot's deltas against the stored states, after the tracker looked
 * for the cgroups that counters name by an id it has not seen (missed by inotify, or under a
 * directory it does not watch), so their bytes get a name. Ids that stay unknown (cgroups
 * already gone) are not looked for again.
 */
function deltasOf(ctx: PollContext, snap: CounterSnapshot, families: readonly string[], now: number): DeltaResult {
  const ids = new Set<number>();
  for (const e of snap.entries) if (e.cgroupId !== null) ids.add(e.cgroupId);
  ctx.tracker.resolve(ids, now);
  return computeDeltas(snap.entries, snap.generation, ctx.st.states, { now, families });
}

/** noteNewGeneration logs counters re-created under a running collector (our nft table, the BPF map). */
function noteNewGeneration(ctx: PollContext, r: Counters, now: number): void {
  const notes: string[] = [];
  const last = ctx.st.lastHandle;
  const handle = r.nft.snapshot.generation;
  if (last !== null && handle !== last) notes.push(`the appnet nft table was re-created (handle ${last} → ${handle})`);
  const map = r.bpf?.generation ?? null;
  if (map !== null && ctx.st.lastMapId !== null && map !== ctx.st.lastMapId) notes.push(`the BPF counter map was re-created (id ${ctx.st.lastMapId} → ${map})`);
  for (const n of notes) {
    const msg = `${n}: counting restarts from zero; bytes while it was absent are unknown`;
    ctx.log('warn', msg);
    insertEvent(ctx.db, { ts: now, level: 'warn', kind: 'table-recreated', message: msg });
  }
}

/**
 * dropVanished deletes the per-interface counters of interfaces that are gone, once their final
 * value is stored (read unchanged since the poll before, and the interface absent from sysfs).
 * Those sets have no timeout, since an idle interface keeps its counter; without this, every veth
 * of every container a host ever ran would stay, until 4,096 names fill a set and the traffic of
 * later interfaces goes uncounted. A counter whose delete fails keeps its stored value: read
 * again without it, it would be counted twice.
 */
async function dropVanished(ctx: PollContext, r: DeltaResult): Promise<void> {
  const vanished = r.idle.filter((e) => e.cgroupId === null && !existsSync(join(ctx.cfg.sysClassNet, e.iface))).map((e) => ({ set: e.family, iface: e.iface }));
  if (!vanished.length) return;
  const done = await ctx.reconciler.deleteInterfaceCounters(vanished, ctx.nft.families);
  if (!done.length) return;
  const keys = done.map((v) => stateKey(v.set, null, v.iface));
  ctx.store.forgetCounters(keys);
  for (const k of keys) ctx.st.states.delete(k);
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
  const mine = new Set(ctx.nft.families);
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
  ctx.log('warn', msg);
  insertEvent(ctx.db, { ts: now, level: 'warn', kind: 'table-recreated', message: msg });
}

/** refreshInventory updates the live cgroups and (every 30 s) the interfaces. */
async function refreshInventory(ctx: PollContext, now: number): Promise<void> {
  const cg = await runSource(ctx, 'cgroups', () => ctx.tracker.refresh(now), (v) => ({ cgroups: v.length, tracked: ctx.tracker.seen.size, watches: ctx.tracker.watchCount, rescans: ctx.tracker.rescans, repaired: ctx.tracker.repaired }));
  if (cg.ok && cg.value) {
    ctx.st.live = cg.value;
    // Cgroups that ended while no collector ran (after a reboot: all of them) are gone now.
    if (!ctx.st.treeChecked) {
      ctx.st.treeChecked = true;
      markAbsentCgroupsGone(ctx.db, cg.value.map((c) => c.id), Math.floor(now / 1000));
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

/** One reading of the counters: our table, and the BPF map when it counts per app. */
interface Counters {
  nft: NftReading;
  bpf: CounterSnapshot | null;
}

/** readCounters reads the BPF map first, then our table: see lib/unattributed.ts for why that order. */
async function readCounters(ctx: PollContext): Promise<Counters> {
  const bpf = ctx.bpf ? await ctx.bpf.read() : null;
  return { nft: await readTable(ctx), bpf };
}

/** Everything one poll stores. */
interface PollDeltas extends DeltaResult {
  /** BPF entries read unchanged since the previous poll (removed once their cgroup or interface is gone). */
  bpfIdle: CounterEntry[];
  /** The carried rests of unattributed traffic after this poll. */
  carry: Map<string, CounterValue>;
}

/**
 * pollDeltas computes what a reading adds. Counting with nft, our table's deltas are all of it;
 * next to the BPF map, the map's deltas are the apps and the table's per-interface totals give
 * the unattributed rest, total − apps (lib/unattributed.ts); on interfaces that carry
 * segments (lib/segments.ts, judged by the interfaces' own growth `links`), both count them.
 */
function pollDeltas(ctx: PollContext, r: Counters, now: number, links: readonly LinkDelta[] | undefined): PollDeltas {
  const nft = deltasOf(ctx, r.nft.snapshot, ctx.nft.families, now);
  if (!r.bpf || !ctx.bpf) return { ...nft, bpfIdle: [], carry: ctx.st.carry };
  const bpf = deltasOf(ctx, r.bpf, ctx.bpf.families, now);
  const seg = new Set(Object.values(BPF_SEGMENT_FAMILIES));
  const segments = bpf.deltas.filter((d) => seg.has(d.family));
  updateSegmentViews(ctx.st.segmentViews, nft.deltas, segments, links);
  const wire = atWireLevel(ctx.st.segmentViews, bpf.deltas.filter((d) => !seg.has(d.family)), segments, nft.deltas);
  const carry = new Map(ctx.st.carry);
  const unattributed = unattributedDeltas(wire.totals, wire.apps, carry);
  return { deltas: [...wire.apps, ...unattributed], next: [...nft.next, ...bpf.next], gone: [...nft.gone, ...bpf.gone], idle: nft.idle, bpfIdle: bpf.idle, carry };
}

/**
 * dropGoneBpf removes the map entries of cgroups and interfaces that are gone, once their final
 * value is stored (read unchanged since the poll before): map entries never expire by themselves,
 * so without this a container host's map fills up. A socket that outlives its cgroup and sends
 * again makes a new entry, counted from zero.
 */
async function dropGoneBpf(ctx: PollContext, idle: CounterEntry[]): Promise<void> {
  const bpf = ctx.bpf;
  if (!bpf || !idle.length) return;
  const gone = idle.filter((e) => {
    const c = e.cgroupId === null ? undefined : ctx.tracker.seen.get(e.cgroupId);
    return !c || c.goneAt !== null || bpf.interfaceGone(e.ifindex);
  });
  if (!gone.length) return;
  const done = await bpf.remove(gone);
  const keys = done.map((e) => `${e.family}/${entryElemKey(e)}`);
  if (!keys.length) return;
  ctx.store.forgetCounters(keys);
  for (const k of keys) ctx.st.states.delete(k);
}

/** afterStore settles the in-memory state with what was stored and removes the counters of cgroups and interfaces that are gone. */
async function afterStore(ctx: PollContext, r: Counters, c: PollDeltas, now: number, links: { next: LinkReading[] } | undefined): Promise<void> {
  for (const s of c.next) ctx.st.states.set(`${s.setName}/${s.elemKey}`, s);
  for (const k of c.gone) ctx.st.states.delete(k);
  for (const l of links?.next ?? []) ctx.st.links.set(l.name, l);
  ctx.st.lastHandle = r.nft.snapshot.generation;
  ctx.st.lastMapId = r.bpf?.generation ?? null;
  ctx.st.carry = c.carry;
  forgetUncounted(ctx, now);
  await dropVanished(ctx, c).catch((err: unknown) => ctx.log('error', `vanished interfaces: ${err instanceof Error ? err.message : String(err)}`));
  await dropGoneBpf(ctx, c.bpfIdle).catch((err: unknown) => ctx.log('error', `gone cgroups' BPF counters: ${err instanceof Error ? err.message : String(err)}`));
}

/** countersDetail is what the Health page shows of the counter source. */
function countersDetail(ctx: PollContext, r: Counters): Record<string, unknown> {
  const entries = r.nft.snapshot.entries.length + (r.bpf?.entries.length ?? 0);
  return { source: r.bpf ? 'bpf' : 'nft', elements: entries, setFill: r.nft.snapshot.fill, mapFill: r.bpf?.fill ?? null, via: r.nft.via };
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
  const counters = await runSource(ctx, 'counters', () => readCounters(ctx), (r) => countersDetail(ctx, r));
  // Right after the counters, so both figures cover the same interval.
  const linkRead = await runSource(ctx, 'interface-counters', async () => readLinkCounters(ctx.cfg.sysClassNet, Date.now()), (v) => ({ interfaces: v.length }));
  const links = linkRead.ok && linkRead.value ? { deltas: linkDeltas(ctx.st.links, linkRead.value), next: linkRead.value } : undefined;
  let report: PollReport = { ok: false, durationMs: 0, elements: 0, deltas: 0, bytes: 0 };
  if (counters.ok && counters.value) {
    const r = counters.value;
    const stored = await runSource(ctx, 'store', () => {
      const c = pollDeltas(ctx, r, now, links?.deltas);
      noteNewGeneration(ctx, r, now);
      const fresh = ctx.store.storePoll({ now, cgroups: ctx.tracker.seen.values(), ifaces: ctx.st.ifaces, deltas: c.deltas, next: c.next, gone: c.gone, prev: ctx.st.states, links });
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
  const ts = Math.floor(now / 1000);
  ctx.db.transaction(() => {
    for (const i of ifaces) {
      const networkId = upsertNetwork(ctx.db, { netKey: i.netKey, name: i.netName, kind: i.kind, meteredAuto: i.meteredAuto }, ts);
      upsertInterface(ctx.db, { name: i.name, kind: i.kind, mac: i.mac, networkId }, ts);
    }
  })();
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

function warnIfFull(ctx: PollContext, snap: CounterSnapshot, now: number): void {
  for (const [name, f] of Object.entries(snap.fill)) {
    if (f.size && f.count >= f.size * 0.9 && now - ctx.st.lastFullWarnAt > 3600_000) {
      ctx.st.lastFullWarnAt = now;
      const msg = `${snap.source === 'nft' ? 'nft set' : 'BPF map'} ${name} is ${Math.round((100 * f.count) / f.size)}% full (${f.count}/${f.size}): new apps may go uncounted until idle counters are removed`;
      ctx.log('warn', msg);
      insertEvent(ctx.db, { ts: now, level: 'warn', kind: 'set-full', message: msg });
    }
  }
}
