/**
 * One poll's counters: read the sources (our table, re-created or repaired when needed, then
 * the BPF map), turn them into deltas against the stored values (unattributed = the
 * interfaces' totals − apps next to the BPF map), and afterwards remove the kernel counters
 * of cgroups and interfaces that are gone once their final value is stored.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { insertEvent } from '../db/queries/status';
import { entryElemKey, stateKey, type CounterEntry, type CounterSnapshot } from '../lib/counters';
import { computeDeltas, type CounterValue, type DeltaResult } from '../lib/delta';
import { unattributedDeltas } from '../lib/unattributed';
import type { LinkDelta } from '../lib/link-counters';
import { atWireLevel, updateSegmentViews } from '../lib/segments';
import { linkTotals } from '../lib/link-totals';
import { BPF_NETNS_FAMILIES, BPF_SEGMENT_FAMILIES } from './sources/bpf-counters';
import { destDeltas, DEST_FAMILY, destElemKey, NFT_DEST_FAMILY, type DestDelta, type DestDeltaResult } from '../lib/destinations';
import type { DestDump, DestEntry } from '../lib/dest-dump';
import { putDestNames } from '../db/store/dest-write';
import { destinationsWanted, superviseBpf } from './counter-select';
import { putDestinationsState } from '../db/queries/destinations';
import { destinationsCause } from '../lib/dest-state';
import { unixSeconds } from '../lib/time';
import type { PollContext } from './poll';
import { warnEvent } from './warn-event';
import { ensureRuleset } from './ruleset';
import type { NftReading } from './sources/nft-counters';

/** readTable reads our table; re-creates it (and says so) when someone deleted it, repairs it when incomplete. */
async function readTable(ctx: PollContext): Promise<NftReading> {
  let read = await ctx.nft.read();
  if (read === null) {
    if (ctx.st.lastHandle !== null) {
      // Next to the BPF program the table counts nothing: only its firewall was missing.
      const msg = ctx.bpf
        ? 'the appnet nft table was missing (deleted by hand or after a reboot): re-created it; its firewall rules did not apply while it was gone (the BPF program went on counting)'
        : 'the appnet nft table was missing (deleted by hand or after a reboot): re-created it; traffic while it was gone is not counted';
      warnEvent(ctx, 'table-recreated', msg);
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
export function noteNewGeneration(ctx: PollContext, r: Counters, now: number): void {
  const notes: string[] = [];
  const last = ctx.st.lastHandle;
  const handle = r.nft.snapshot.generation;
  // Next to the BPF program the table holds no counter: a new one restarts nothing (readTable said what it means for the firewall).
  if (last !== null && handle !== last && !r.bpf) notes.push(`the appnet nft table was re-created (handle ${last} → ${handle})`);
  const map = r.bpf?.generation ?? null;
  if (map !== null && ctx.st.lastMapId !== null && map !== ctx.st.lastMapId) notes.push(`the BPF counter map was re-created (id ${ctx.st.lastMapId} → ${map})`);
  for (const n of notes) {
    const msg = `${n}: counting restarts from zero; bytes while it was absent are unknown`;
    warnEvent(ctx, 'table-recreated', msg, now);
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
export async function dropVanished(ctx: PollContext, r: DeltaResult): Promise<void> {
  const vanished = r.idle.filter((e) => e.cgroupId === null && !existsSync(join(ctx.cfg.sysClassNet, e.iface))).map((e) => ({ set: e.family, iface: e.iface }));
  if (!vanished.length) return;
  const done = await ctx.reconciler.deleteInterfaceCounters(vanished, ctx.nft.families);
  if (!done.length) return;
  const keys = done.map((v) => stateKey(v.set, null, v.iface));
  ctx.store.forgetCounters(keys);
  for (const k of keys) ctx.st.states.delete(k);
}

/** One reading of the counters: our table, the BPF map when it counts per app, and its destinations map when they are counted. */
export interface Counters {
  nft: NftReading;
  bpf: CounterSnapshot | null;
  dests: DestDump | null;
}

/**
 * readDests follows the destinations switch (`--no-destinations`, the global setting) and reads
 * the destinations map when they are counted. Read before the per-app map: the program adds a
 * packet to its app before its destination, so an app's destinations never exceed its total.
 * Counting with nft, the destination sets came with the table's reading (read before the
 * per-app sets, for the same reason); the switch adds and removes them (collector/ruleset.ts).
 */
async function readDests(ctx: PollContext, table: NftReading): Promise<DestDump | null> {
  const bpf = ctx.bpf;
  const want = destinationsWanted(ctx);
  if (!bpf) {
    learnNames(ctx, want && nftSeesDests(ctx, table));
    return want && table.dests ? table.dests : null;
  }
  learnNames(ctx, want);
  if (want !== bpf.countsDestinations) {
    await bpf.destinations(want);
    ctx.log('info', `destinations are ${want ? 'counted' : 'not counted any more'}`);
  }
  return want ? bpf.readDests() : null;
}

/** nftSeesDests: nft counts destinations in its sets (while its per-app sets count) and this reading of the table can see them. */
function nftSeesDests(ctx: PollContext, table: NftReading): boolean {
  return table.dests !== undefined && ctx.nft.currentRole === 'apps';
}

/**
 * reportDestinations records whether destinations are recorded now and why (lib/dest-state.ts):
 * what the dashboard's switch shows, rather than the wish it saved.
 */
function reportDestinations(ctx: PollContext, table: NftReading): void {
  const wanted = destinationsWanted(ctx);
  const counting = ctx.bpf ? ctx.bpf.countsDestinations : wanted && nftSeesDests(ctx, table);
  const cause = destinationsCause({ allowed: ctx.cfg.destinations, wanted, counting });
  // The store keeps when the state began; only a change (or the run's first report) is written.
  if (ctx.st.destsCause === cause) return;
  putDestinationsState(ctx.db, { recording: cause === 'on', cause }, unixSeconds(Date.now()));
  ctx.st.destsCause = cause;
}

/** learnNames stores the host names DNS answers gave since the last poll (dropped unheard while destinations are off). */
function learnNames(ctx: PollContext, want: boolean): void {
  if (!ctx.dns) return;
  if (want) ctx.dns.start();
  const names = ctx.dns.take();
  if (want && names.length) putDestNames(ctx.db, names);
  const lost = ctx.dns.takeLost();
  const how = ctx.dns.fromProgram ? `${lost} found the BPF program's DNS ring full` : `the NFLOG queue overflowed ${lost} times`;
  if (want && lost) ctx.log('warn', `host names: DNS answers were lost before they were read (${how}); the addresses they named stay addresses`);
}

/**
 * readCounters reads our table first, then the destinations map, then the per-app map (readDests
 * says why destinations before apps; next to the BPF map the interfaces' statistics were read
 * just before: lib/unattributed.ts). A failing BPF reading fails the whole reading (the totals
 * alone would book every app's traffic as unattributed); the kernel's counters keep it for the
 * next poll.
 */
export async function readCounters(ctx: PollContext): Promise<Counters> {
  const nft = await readTable(ctx);
  const source = ctx.bpf;
  try {
    const dests = await readDests(ctx, nft);
    reportDestinations(ctx, nft);
    if (!source) return { nft, bpf: null, dests };
    const bpf = await source.read();
    await superviseBpf(ctx, null);
    return { nft, bpf, dests };
  } catch (err) {
    // superviseBpf does nothing without the BPF source.
    await superviseBpf(ctx, err);
    throw err;
  }
}

/** Everything one poll stores. */
export interface PollDeltas extends DeltaResult {
  /** BPF entries read unchanged since the previous poll (removed once their cgroup or interface is gone). */
  bpfIdle: CounterEntry[];
  /** The carried rests of unattributed traffic after this poll. */
  carry: Map<string, CounterValue>;
  /** What each destination added. */
  dests: DestDelta[];
  /** Destination entries read unchanged since the previous poll. */
  destIdle: DestEntry[];
}

/**
 * pollDeltas computes what a reading adds. Counting with nft, our table's deltas are all of it;
 * next to the BPF map, the map's deltas are the apps, and the interfaces' own statistics
 * (`links`, read just before the map: lib/unattributed.ts says why) give each interface's total
 * (lib/link-totals.ts) and so the unattributed rest, total − apps; on interfaces that carry
 * segments (lib/segments.ts, judged by the same statistics) the apps are counted as segments.
 */
export function pollDeltas(ctx: PollContext, r: Counters, now: number, links: readonly LinkDelta[] | undefined): PollDeltas {
  const nft = deltasOf(ctx, r.nft.snapshot, ctx.nft.families, now);
  if (!r.bpf || !ctx.bpf) {
    const d = nftDestDeltas(ctx, r, now);
    return { ...nft, next: [...nft.next, ...d.next], gone: [...nft.gone, ...d.gone], bpfIdle: [], carry: ctx.st.carry, dests: d.deltas, destIdle: [] };
  }
  const bpf = deltasOf(ctx, r.bpf, ctx.bpf.families, now);
  const seg = new Set(Object.values(BPF_SEGMENT_FAMILIES));
  const ns = new Set(Object.values(BPF_NETNS_FAMILIES));
  const segments = bpf.deltas.filter((x) => seg.has(x.family));
  // Other namespaces' sockets (containers) are booked on their own interfaces, which no total of ours covers.
  const foreign = bpf.deltas.filter((x) => ns.has(x.family));
  const apps = bpf.deltas.filter((x) => !seg.has(x.family) && !ns.has(x.family));
  updateSegmentViews(ctx.st.segmentViews, atWireLevel(new Map(), apps, segments), segments, links);
  const wire = atWireLevel(ctx.st.segmentViews, apps, segments);
  const carry = new Map(ctx.st.carry);
  // Statistics not read this poll: the next read's growth covers both polls, and the carry holds the apps meanwhile.
  const unattributed = unattributedDeltas(linkTotals(links ?? [], now), wire, carry);
  const d = r.dests ? destDeltas(r.dests.entries, r.dests.mapId, ctx.st.states, now) : { deltas: [], next: [], gone: [], idle: [] };
  return {
    deltas: [...wire, ...foreign, ...unattributed], next: [...nft.next, ...bpf.next, ...d.next], gone: [...nft.gone, ...bpf.gone, ...d.gone], idle: nft.idle,
    bpfIdle: bpf.idle, carry, dests: d.deltas, destIdle: d.idle,
  };
}

/**
 * nftDestDeltas is what nft's destination sets added (their elements expire by themselves: none
 * is deleted). When the table holds none (destinations off: the sets were deleted with their
 * counters), the stored values of their elements are dropped; when this reading could not see
 * them (nft's JSON listing), they are kept for the next reading that can.
 */
function nftDestDeltas(ctx: PollContext, r: Counters, now: number): Pick<DestDeltaResult, 'deltas' | 'next' | 'gone'> {
  if (r.dests) return destDeltas(r.dests.entries, r.dests.mapId, ctx.st.states, now, { family: NFT_DEST_FAMILY, timeoutMs: ctx.cfg.elementTimeoutSec * 1000 });
  const gone = r.nft.dests === null ? [...ctx.st.states.values()].filter((s) => s.setName === NFT_DEST_FAMILY).map((s) => `${s.setName}/${s.elemKey}`) : [];
  return { deltas: [], next: [], gone };
}

/**
 * dropGoneBpf removes the map entries of cgroups and interfaces that are gone, once their final
 * value is stored (read unchanged since the poll before): map entries never expire by themselves,
 * so without this a container host's map fills up. A socket that outlives its cgroup and sends
 * again makes a new entry, counted from zero.
 */
export async function dropGoneBpf(ctx: PollContext, idle: CounterEntry[]): Promise<void> {
  const bpf = ctx.bpf;
  if (!bpf) return;
  await bpf.removeRootGone();
  if (!idle.length) return;
  const gone = idle.filter((e) => {
    const c = e.cgroupId === null ? undefined : ctx.tracker.seen.get(e.cgroupId);
    return !c || c.goneAt !== null || bpf.interfaceGone(e.ifindex, e.family);
  });
  if (!gone.length) return;
  const done = await bpf.remove(gone);
  const keys = done.map((e) => `${e.family}/${entryElemKey(e)}`);
  if (!keys.length) return;
  ctx.store.forgetCounters(keys);
  for (const k of keys) ctx.st.states.delete(k);
}

/** dropGoneDests removes the destination entries of cgroups that are gone, once their final value is stored (as dropGoneBpf). */
export async function dropGoneDests(ctx: PollContext, idle: DestEntry[]): Promise<void> {
  const bpf = ctx.bpf;
  if (!bpf || !idle.length) return;
  const gone = idle.filter((e) => {
    const c = ctx.tracker.seen.get(e.cgroupId);
    return !c || c.goneAt !== null || bpf.interfaceGone(e.ifindex);
  });
  const done = await bpf.removeDests(gone);
  const keys = done.map((e) => `${DEST_FAMILY}/${destElemKey(e)}`);
  if (!keys.length) return;
  ctx.store.forgetCounters(keys);
  for (const k of keys) ctx.st.states.delete(k);
}

/** countersDetail is what the Health page shows of the counter source. */
export function countersDetail(ctx: PollContext, r: Counters): Record<string, unknown> {
  const entries = r.nft.snapshot.entries.length + (r.bpf?.entries.length ?? 0);
  const destFill = r.dests ? { count: r.dests.count, size: r.dests.capacity } : null;
  return { source: r.bpf ? 'bpf' : 'nft', elements: entries, setFill: r.nft.snapshot.fill, mapFill: r.bpf?.fill ?? null, destFill, via: r.nft.via };
}

/** warnFull reports one set or map nearing its capacity (90 %), at most once an hour over all of them. */
function warnFull(ctx: PollContext, now: number, what: string, f: { count: number; size: number | null }, then: string): void {
  if (!f.size || f.count < f.size * 0.9 || now - ctx.st.lastFullWarnAt <= 3600_000) return;
  ctx.st.lastFullWarnAt = now;
  warnEvent(ctx, 'set-full', `${what} is ${Math.round((100 * f.count) / f.size)}% full (${f.count}/${f.size}): ${then}`, now);
}

/**
 * warnIfDestsFull reports one of nft's destination sets nearing its capacity: unlike the BPF map
 * (an LRU), a full set takes no new destination until idle ones time out.
 */
export function warnIfDestsFull(ctx: PollContext, r: Counters, now: number): void {
  if (!r.dests) return;
  for (const [name, f] of Object.entries(r.nft.dests?.sets ?? {})) warnFull(ctx, now, `nft destination set ${name}`, f, 'new destinations go to "other destinations" until idle ones time out');
}

/** warnIfFull reports a counter set or map nearing its capacity. */
export function warnIfFull(ctx: PollContext, snap: CounterSnapshot, now: number): void {
  for (const [name, f] of Object.entries(snap.fill)) warnFull(ctx, now, `${snap.source === 'nft' ? 'nft set' : 'BPF map'} ${name}`, f, 'new apps may go uncounted until idle counters are removed');
}
