/**
 * Choosing what counts per app, at start: the cgroup_skb BPF program (each interface's own
 * statistics then give its total, and nft counts nothing), or nft set counters. `auto` takes BPF when it loads and attaches,
 * and otherwise says in one line why it counts with nft. The choice is recorded for the Health
 * page and /metrics. While the collector runs, BPF's helper is watched (superviseBpf): each of
 * its ends is reported once, and under `auto` a helper that cannot be started again falls back
 * to nft the same way.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { getLinkStates } from '../db/queries/link-counted';
import { insertEvent, putSourceStatus } from '../db/queries/status';
import type { CounterSourceKind } from '../lib/counters';
import type { PollContext } from './poll';
import { warnEvent } from './warn-event';
import { BpfCounterSource, removeBpfCounter } from './sources/bpf-counters';
import { getDestinationsSetting } from '../db/queries/destinations';
import { DEST_FAMILY, NFT_DEST_FAMILY } from '../lib/destinations';
import { DnsNameSource } from './sources/dns-names';
import { ensureRuleset } from './ruleset';

/** Starts of bpfcount in a row that failed (with back-off: about 3 s in all) before `auto` counts with nft instead. */
export const BPF_FAILED_STARTS = 3;

/** destinationsWanted: destinations are counted unless `--no-destinations` or the dashboard's setting turned them off. */
export function destinationsWanted(ctx: PollContext): boolean {
  return ctx.cfg.destinations && getDestinationsSetting(ctx.db);
}

/**
 * dnsFromProgram: the DNS answers for destinations' host names come from the BPF program's
 * ring (the program counts and its reader dnsring is built), so our table needs no
 * `udp sport 53 log` rule; false when nft counts or dnsring is missing (then dnslog reads that
 * rule's log). Set by selectCounter; false from the moment superviseBpf falls back to nft.
 */
export function dnsFromProgram(ctx: PollContext): boolean {
  return ctx.dns?.fromProgram === true;
}

/** What was chosen, and why when it is not what was asked for. */
export interface CounterSelection {
  source: CounterSourceKind;
  note: string | null;
}

/** openBpf loads and attaches the BPF counter at the collector's cgroup root; throws with the reason it cannot. */
async function openBpf(ctx: PollContext): Promise<BpfCounterSource> {
  const root = ctx.cfg.cgroupRoot;
  let rootId: number;
  try {
    rootId = statSync(root).ino;
  } catch (err) {
    throw new Error(`cannot read the cgroup root ${root}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const cgroupDir = (id: number) => {
    const c = ctx.tracker.seen.get(id);
    return c ? join(root, c.path) : null;
  };
  const { source, ready } = await BpfCounterSource.open({ cgroupRoot: root, pinDir: ctx.cfg.bpfPinDir, rootId, destinations: destinationsWanted(ctx), cgroupDir });
  if (ready.created) {
    // A store that counted before (its counters, or its interfaces' readings) met a map that was gone: say so, as for our nft table.
    const counted = [...ctx.st.states.values()].some((s) => source.families.includes(s.setName)) || getLinkStates(ctx.db).length > 0;
    forgetFamilies(ctx, (f) => source.families.includes(f) || f === DEST_FAMILY, 'the BPF counter map was made now');
    if (counted) {
      const msg = 'the BPF counter map was not there when the collector started (a reboot, or removed while no collector ran): counting per app starts again from zero; traffic while it was missing is not counted';
      warnEvent(ctx, 'table-recreated', msg);
    }
  }
  return source;
}

/** forgetFamilies drops the stored values of counters that no longer exist (their kernel counters start anew). */
function forgetFamilies(ctx: PollContext, match: (family: string) => boolean, why: string): void {
  const keys = [...ctx.st.states.values()].filter((s) => match(s.setName)).map((s) => `${s.setName}/${s.elemKey}`);
  if (!keys.length) return;
  ctx.store.forgetCounters(keys);
  for (const k of keys) ctx.st.states.delete(k);
  ctx.log('info', `forgot ${keys.length} stored counter values: ${why}`);
}

/**
 * useNft leaves per-app counting to nft: a BPF counter pinned by an earlier run is detached and
 * unpinned (it would go on counting unread), and the stored values of its entries are dropped.
 * Destinations are then counted in nft's sets, their host names learned as next to the BPF counter.
 */
async function useNft(ctx: PollContext): Promise<void> {
  ctx.bpf = null;
  ctx.nft.setRole('apps');
  ctx.dns = new DnsNameSource(ctx.log);
  try {
    const removed = await removeBpfCounter(ctx.cfg.bpfPinDir);
    if (removed !== null) ctx.log('info', `detached the BPF counter of an earlier run: ${removed}`);
  } catch (err) {
    ctx.log('warn', `could not detach the BPF counter of an earlier run: ${err instanceof Error ? err.message : String(err)}`);
  }
  forgetFamilies(ctx, (f) => f.startsWith('bpf_') || f === DEST_FAMILY, 'counting with nft, the BPF map is not read');
}

/**
 * selectCounter sets up the counter source the configuration asks for (see the file comment).
 * `--counter bpf` where BPF cannot be used is an error.
 */
export async function selectCounter(ctx: PollContext): Promise<CounterSelection> {
  const want = ctx.cfg.counter;
  let sel: CounterSelection;
  if (want === 'nft') {
    await useNft(ctx);
    sel = { source: 'nft', note: null };
  } else {
    try {
      ctx.bpf = await openBpf(ctx);
      ctx.nft.setRole('totals');
      // Host names from the program's DNS ring: no nft rule needed for them (dnsFromProgram).
      ctx.dns = new DnsNameSource(ctx.log, { programPinDir: ctx.cfg.bpfPinDir });
      sel = { source: 'bpf', note: ctx.bpf.netnsApart ? null : NETNS_TOGETHER };
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      if (want === 'bpf') throw new Error(`cannot count with BPF (--counter bpf): ${why}`);
      await useNft(ctx);
      sel = { source: 'nft', note: `Counting per app with nft sets: the BPF counter is unavailable (${why}).` };
      warnEvent(ctx, 'counter-fallback', sel.note!);
    }
  }
  settle(ctx, sel);
  return sel;
}

/** settle drops the stored values of the other mechanism's sets (dropped from our table with the next apply) and records the choice. */
function settle(ctx: PollContext, sel: CounterSelection): void {
  // iface_in/iface_out: the per-interface totals nft counted next to the program before the interfaces' statistics did.
  const other = sel.source === 'bpf' ? ['acct_in', 'acct_out', 'unattr_in', 'unattr_out', 'iface_in', 'iface_out', NFT_DEST_FAMILY] : ['iface_in', 'iface_out'];
  forgetFamilies(ctx, (f) => other.includes(f), `counting per app with ${sel.source}`);
  putSourceStatus(ctx.db, { source: 'counter-source', ok: true, lastRun: Date.now(), durationMs: 0, error: null, detail: sel });
}

/** The Health page's note where the kernel cannot tell containers' network namespaces apart for the program. */
const NETNS_TOGETHER =
  "This kernel's cgroup BPF programs cannot tell other network namespaces apart (Linux 6.15 can): a container's own traffic is booked by its interface index, which may name an unrelated host interface. `--counter nft` books it as unattributed instead.";

/**
 * superviseBpf runs after each reading of the BPF counter, `failure` being what failed in it.
 * Each end of bpfcount is logged once and recorded as a Health event: the next request starts
 * it again, and the program counts in the kernel meanwhile, so nothing is lost. When it could
 * not be started BPF_FAILED_STARTS times in a row (no BPF filesystem any more, the kernel
 * refuses the program) and the counter was chosen by `auto`, per-app counting falls back to nft
 * at once, as at start; with `--counter bpf` it is tried again, the back-off growing to a minute.
 */
export async function superviseBpf(ctx: PollContext, failure: unknown): Promise<void> {
  const bpf = ctx.bpf;
  if (!bpf) return;
  for (const end of bpf.takeEnds()) {
    const msg = end.ran
      ? `the BPF counter's helper bpfcount ended (${end.why}); it is started again at the next poll and takes over the pinned map: the program went on counting in the kernel meanwhile`
      : `the BPF counter's helper bpfcount could not be started again (${end.why}); next try in ${Math.max(0, Math.ceil((end.retryAt - Date.now()) / 1000))} s`;
    warnEvent(ctx, 'counter-helper', msg);
  }
  if (failure === null || bpf.failedStarts < BPF_FAILED_STARTS || ctx.cfg.counter !== 'auto') return;
  const why = failure instanceof Error ? failure.message : String(failure);
  bpf.close();
  ctx.dns?.close();
  ctx.dns = null;
  await useNft(ctx);
  const sel: CounterSelection = { source: 'nft', note: `Counting per app with nft sets since ${new Date().toISOString()}: the BPF counter could not be started again ${BPF_FAILED_STARTS} times in a row (${why}); what it counted since its last reading is lost.` };
  warnEvent(ctx, 'counter-fallback', sel.note!);
  settle(ctx, sel);
  // The per-app sets now, not at the next poll: traffic from here on is counted.
  await ensureRuleset(ctx, { force: true }).catch((err: unknown) => ctx.log('error', `ruleset: ${err instanceof Error ? err.message : String(err)}`));
}
