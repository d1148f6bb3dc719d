/**
 * One poll: scan cgroups, refresh interfaces, keep our nft table in shape, read the
 * kernel counters and store their deltas in one SQLite transaction. Each part is
 * timed and isolated: one that fails is recorded and the others still run.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../db/open';
import { markAbsentCgroupsGone } from '../db/queries/apps';
import { clearCounterStates, deleteCounterState, getCounterStates, type StoredState } from '../db/queries/state';
import { insertEvent, putSourceStatus } from '../db/queries/status';
import { upsertInterface, upsertNetwork } from '../db/queries/interfaces';
import { accountingCommands, normaliseLevels } from '../lib/nft/accounting';
import type { FirewallCounters } from '../lib/nft/firewall-parse';
import type { CounterElement, TableSnapshot } from '../lib/nft/parse';
import { COUNTER_SETS, SET_UNATTR_IN, SET_UNATTR_OUT, TABLE_FAMILY, TABLE_NAME, isIfname } from '../lib/nft/names';
import { counterDelta, expiryOf } from '../lib/delta';
import type { CollectorConfig } from './config';
import type { CounterReader, TableCounters } from './nft/counters';
import type { NftRunner } from './nft/exec';
import { CgroupTracker, type LiveCgroup } from './sources/cgroups';
import { readInterfaces, type InterfaceInfo } from './sources/interfaces';
import { storePoll, type ElementDelta } from './store';

/** Extra commands appended to every ruleset batch (the firewall), and how to report their result. */
export interface RulesetExtension {
  commands(live: LiveCgroup[], ifaces: InterfaceInfo[]): string[];
  /** Called after each apply attempt; lets the extension record applied status. */
  applied(ok: boolean, error: string | null): void;
  /** Fingerprint of the desired state: a change triggers an apply. */
  fingerprint(live: LiveCgroup[]): string;
  /** Sees the rule hits and quota use of each reading of our table. */
  observe(counters: FirewallCounters): void;
}

export interface PollContext {
  cfg: CollectorConfig;
  db: Db;
  nft: NftRunner;
  /** Reads our table's counters (netlink helper, nft JSON as the fallback). */
  counters: CounterReader;
  tracker: CgroupTracker;
  extension?: RulesetExtension;
  log: (level: 'info' | 'warn' | 'error', msg: string) => void;
  /** Mutable state carried between polls. */
  st: PollState;
}

export interface PollState {
  states: Map<string, StoredState>;
  /** level → last time (ms) a cgroup at that level held processes. */
  levelsSeen: Map<number, number>;
  appliedFingerprint: string | null;
  ifaces: InterfaceInfo[];
  ifacesAt: number;
  lastHandle: number | null;
  lastFullWarnAt: number;
  live: LiveCgroup[];
  /** The apply in progress: applies never overlap (the watcher and the poll both start them). */
  applying: Promise<unknown>;
  lastFirewallError: string | null;
  /** The run has checked the counters the previous run stored (forgetStaleCounters). */
  started: boolean;
  /** The run has stamped the stored cgroups that ended while no collector ran. */
  treeChecked: boolean;
}

/** newPollState loads what the previous run stored, so a restart resumes exactly. */
export function newPollState(db: Db): PollState {
  const states = new Map<string, StoredState>();
  let lastHandle: number | null = null;
  for (const s of getCounterStates(db)) {
    states.set(`${s.setName}/${s.elemKey}`, s);
    lastHandle = lastHandle === null ? s.tableHandle : Math.max(lastHandle, s.tableHandle);
  }
  return { states, levelsSeen: new Map(), appliedFingerprint: null, ifaces: [], ifacesAt: 0, lastHandle, lastFullWarnAt: 0, live: [], applying: Promise.resolve(), lastFirewallError: null, started: false, treeChecked: false };
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

/** ensureRuleset applies our table when it is missing, incomplete, or the desired state changed. */
export function ensureRuleset(ctx: PollContext, opts: { force: boolean }): Promise<boolean> {
  const run = ctx.st.applying.then(() => applyRuleset(ctx, opts));
  ctx.st.applying = run.catch(() => undefined);
  return run;
}

async function applyRuleset(ctx: PollContext, opts: { force: boolean }): Promise<boolean> {
  const { st } = ctx;
  const levels = currentLevels(st, st.live, Date.now());
  const ext = ctx.extension;
  const fp = `${levels.join(',')}#${ctx.cfg.elementTimeoutSec}#${ext ? ext.fingerprint(st.live) : ''}`;
  if (!opts.force && fp === st.appliedFingerprint) return false;
  const accounting = accountingCommands({ levels, elementTimeoutSec: ctx.cfg.elementTimeoutSec });
  if (!ext) {
    await ctx.nft.apply(accounting);
    st.appliedFingerprint = fp;
    return true;
  }
  let lastError = '';
  // A cgroup that vanishes between planning and loading fails the whole batch: plan
  // again from a fresh read of the tree once before giving up on the firewall part.
  for (let attempt = 0; attempt < 2; attempt++) {
    let extra: string[];
    try {
      extra = ext.commands(st.live, st.ifaces);
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
      ext.applied(false, lastError);
      break;
    }
    try {
      await ctx.nft.apply([...accounting, ...extra]);
      ext.applied(true, null);
      st.lastFirewallError = null;
      st.appliedFingerprint = fp;
      return true;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
      ext.applied(false, lastError);
    }
  }
  // The kernel rolled the failed batch back, so the previous firewall is still whole.
  // Keep counting with the accounting part, report the firewall error (once per new
  // message) and try again at the next poll.
  if (lastError !== st.lastFirewallError) ctx.log('error', `firewall rules not applied, previous ruleset kept: ${lastError}`);
  st.lastFirewallError = lastError;
  await ctx.nft.apply(accounting);
  st.appliedFingerprint = `failed:${fp}`;
  return true;
}

function chainsComplete(snap: TableSnapshot): boolean {
  return ['acct_input', 'acct_output', 'acct_forward'].every((c) => (snap.chains[c] ?? 0) > 0) && COUNTER_SETS.every((s) => snap.setFill[s] !== undefined);
}

/** readCounters reads our table; re-creates it (and says so) when someone deleted it. */
async function readCounters(ctx: PollContext): Promise<TableCounters> {
  let read = await ctx.counters.read();
  if (read === null) {
    if (ctx.st.lastHandle !== null) {
      const msg = 'the appnet nft table was missing (deleted by hand or after a reboot): re-created it; traffic while it was gone is not counted';
      ctx.log('warn', msg);
      insertEvent(ctx.db, { ts: Date.now(), level: 'warn', kind: 'table-recreated', message: msg });
    }
    await ensureRuleset(ctx, { force: true });
    read = await ctx.counters.read();
    if (read === null) throw new Error('the appnet nft table is still missing after creating it');
  }
  ctx.extension?.observe(read.firewall);
  if (!chainsComplete(read.snapshot)) {
    ctx.log('warn', 'our accounting chains were incomplete: repaired them');
    insertEvent(ctx.db, { ts: Date.now(), level: 'warn', kind: 'ruleset-repaired', message: 'accounting chains were missing or empty and were restored' });
    await ensureRuleset(ctx, { force: true });
    read = await ctx.counters.read();
    if (read === null) throw new Error('the appnet nft table vanished while its chains were repaired');
  }
  return read;
}

/**
 * resolveCgroups has the tracker find the cgroups that counters name by an id it has
 * not seen (missed by inotify, or under a directory it does not watch) before the poll
 * is stored, so their bytes get a name. Ids that stay unknown (cgroups already gone)
 * are not looked for again.
 */
function resolveCgroups(ctx: PollContext, snap: TableSnapshot, now: number): void {
  const ids = new Set<number>();
  for (const e of snap.elements) if (typeof e.cgroup === 'number') ids.add(e.cgroup);
  ctx.tracker.resolve(ids, now);
}

/** elementKey maps a kernel element to our state key, resolving cgroup paths to ids. */
function elementKey(ctx: PollContext, e: CounterElement): { key: string; cgroupId: number | null } | null {
  if (e.cgroup === null) return { key: `|${e.iface}`, cgroupId: null };
  const id = typeof e.cgroup === 'number' ? e.cgroup : ctx.tracker.idOfPath(e.cgroup);
  if (id === null) return null;
  return { key: `${id}|${e.iface}`, cgroupId: id };
}

/** computeDeltas turns a snapshot into per-element deltas and the new stored states. */
export function computeDeltas(ctx: PollContext, snap: TableSnapshot, now: number) {
  const { st } = ctx;
  const deltas: ElementDelta[] = [];
  const next: StoredState[] = [];
  const present = new Set<string>();
  const vanished: Vanished[] = [];
  if (st.lastHandle !== null && snap.tableHandle !== st.lastHandle) {
    const msg = `the appnet nft table was re-created (handle ${st.lastHandle} → ${snap.tableHandle}): counting restarts from zero; bytes while it was absent are unknown`;
    ctx.log('warn', msg);
    insertEvent(ctx.db, { ts: now, level: 'warn', kind: 'table-recreated', message: msg });
  }
  for (const e of snap.elements) {
    const k = elementKey(ctx, e);
    if (!k) {
      ctx.log('warn', `cannot resolve cgroup ${String(e.cgroup)} of a counter: skipped this poll`);
      continue;
    }
    const stateKey = `${e.set}/${k.key}`;
    // A dump of a set that grows while it is read can list an element twice: count it once.
    if (present.has(stateKey)) continue;
    present.add(stateKey);
    const prev = st.states.get(stateKey);
    const reading = { bytes: e.bytes, packets: e.packets, tableHandle: snap.tableHandle, expiresSec: e.expiresSec };
    const d = counterDelta(prev, reading, { now, timeoutSec: e.cgroup === null ? null : ctx.cfg.elementTimeoutSec });
    const s: StoredState = { setName: e.set, elemKey: k.key, tableHandle: snap.tableHandle, bytes: e.bytes, packets: e.packets, seenAt: now, expiresAt: expiryOf(reading, now) };
    next.push(s);
    if (d.bytes > 0 || d.packets > 0) deltas.push({ set: e.set, cgroupId: k.cgroupId, iface: e.iface, bytes: d.bytes, packets: d.packets, elapsedMs: prev ? now - prev.seenAt : null });
    else if (k.cgroupId === null && prev && !existsSync(join(ctx.cfg.sysClassNet, e.iface))) vanished.push({ set: e.set, iface: e.iface, elemKey: k.key });
  }
  // An element missing from one listing is not necessarily gone: a dump of a set that
  // is resizing under inserts can skip elements. Forget a counter only once it must have
  // expired, or when its table is gone; if it shows up again before that, its stored
  // value is still the base for its delta and nothing is counted twice.
  const gone = [...st.states.entries()]
    .filter(([k, v]) => !present.has(k) && (v.tableHandle !== snap.tableHandle || (v.expiresAt !== null && now > v.expiresAt + 5000)))
    .map(([k]) => k);
  return { deltas, next, gone, vanished, tableHandle: snap.tableHandle };
}

/** An unattributed counter of an interface that no longer exists, read for the last time. */
interface Vanished {
  set: string;
  iface: string;
  elemKey: string;
}

/**
 * dropVanished deletes the unattributed counters of interfaces that are gone, once their final
 * value is stored (unchanged since the poll before, and the interface absent from sysfs). Those
 * sets have no timeout, since an idle interface keeps its counter; without this, every veth of
 * every container a host ever ran would stay, until 4,096 names fill a set and the traffic of
 * later interfaces goes uncounted. A counter whose delete fails keeps its stored value: read
 * again without it, it would be counted twice.
 */
async function dropVanished(ctx: PollContext, vanished: Vanished[]): Promise<void> {
  const cmd = (v: Vanished) => `delete element ${TABLE_FAMILY} ${TABLE_NAME} ${v.set} { "${v.iface}" }`;
  const ok = vanished.filter((v) => isIfname(v.iface) && (v.set === SET_UNATTR_IN || v.set === SET_UNATTR_OUT));
  let done: Vanished[] = [];
  try {
    await ctx.nft.apply(ok.map(cmd));
    done = ok;
  } catch {
    for (const v of ok) {
      try {
        await ctx.nft.apply([cmd(v)]);
        done.push(v);
      } catch (err) {
        ctx.log('warn', `could not remove the counter of vanished interface ${v.iface} from ${v.set}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  if (!done.length) return;
  ctx.db.transaction(() => {
    for (const v of done) deleteCounterState(ctx.db, v.set, v.elemKey);
  })();
  for (const v of done) ctx.st.states.delete(`${v.set}/${v.elemKey}`);
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
  if (ctx.st.states.size === 0) return;
  let present: boolean;
  try {
    present = (await ctx.counters.read()) !== null;
  } catch (err) {
    ctx.log('warn', `could not check for our table before applying it: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  if (present) return;
  ctx.db.transaction(() => clearCounterStates(ctx.db))();
  ctx.st.states.clear();
  ctx.st.lastHandle = null;
  const msg = 'the appnet nft table was not there when the collector started (a reboot, or deleted while no collector ran): counting starts again from zero; traffic while it was missing is not counted';
  ctx.log('warn', msg);
  insertEvent(ctx.db, { ts: now, level: 'warn', kind: 'table-recreated', message: msg });
}

/** poll runs one complete poll; see the file comment. */
export async function poll(ctx: PollContext): Promise<PollReport> {
  const t0 = performance.now();
  const now = Date.now();
  if (!ctx.st.started) {
    ctx.st.started = true;
    await forgetStaleCounters(ctx, now);
  }
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
  await runSource(ctx, 'ruleset', () => ensureRuleset(ctx, { force: false }));
  const counters = await runSource(ctx, 'counters', () => readCounters(ctx), (r) => ({ elements: r.snapshot.elements.length, setFill: r.snapshot.setFill, via: r.via }));
  let report: PollReport = { ok: false, durationMs: 0, elements: 0, deltas: 0, bytes: 0 };
  if (counters.ok && counters.value) {
    const snap = counters.value.snapshot;
    resolveCgroups(ctx, snap, now);
    const stored = await runSource(ctx, 'store', () => {
      const c = computeDeltas(ctx, snap, now);
      storePoll(ctx, c, now);
      return c;
    }, (c) => ({ deltas: c.deltas.length }));
    if (stored.ok && stored.value) {
      const c = stored.value;
      for (const s of c.next) ctx.st.states.set(`${s.setName}/${s.elemKey}`, s);
      for (const k of c.gone) ctx.st.states.delete(k);
      ctx.st.lastHandle = c.tableHandle;
      forgetUncounted(ctx, now);
      if (c.vanished.length) await dropVanished(ctx, c.vanished).catch((err: unknown) => ctx.log('error', `vanished interfaces: ${err instanceof Error ? err.message : String(err)}`));
      report = { ok: true, durationMs: 0, elements: snap.elements.length, deltas: c.deltas.length, bytes: c.deltas.reduce((n, d) => n + d.bytes, 0) };
    }
    warnIfFull(ctx, snap, now);
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
    const id = Number(s.elemKey.slice(0, s.elemKey.indexOf('|')));
    if (id) counted.add(id);
  }
  ctx.tracker.forget(counted, now - ctx.cfg.intervalSec * 2000);
}

function warnIfFull(ctx: PollContext, snap: TableSnapshot, now: number): void {
  for (const [name, f] of Object.entries(snap.setFill)) {
    if (f.size && f.count >= f.size * 0.9 && now - ctx.st.lastFullWarnAt > 3600_000) {
      ctx.st.lastFullWarnAt = now;
      const msg = `nft set ${name} is ${Math.round((100 * f.count) / f.size)}% full (${f.count}/${f.size}): new apps may go uncounted until idle elements expire`;
      ctx.log('warn', msg);
      insertEvent(ctx.db, { ts: now, level: 'warn', kind: 'set-full', message: msg });
    }
  }
}

