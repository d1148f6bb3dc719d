/**
 * Counter deltas that survive resets, over the typed snapshot of lib/counters.ts, in one
 * time unit (unix milliseconds). Kernel counters only grow while they live; a counter can
 * vanish (idle timeout, flushed set, deleted map entry, re-created table) and come back
 * from zero. The rules below never produce a negative delta and never count the same
 * bytes twice; where the kernel's answer is ambiguous they prefer to undercount.
 */
import { entryElemKey, type CounterEntry, type Direction } from './counters';

export interface CounterValue {
  bytes: number;
  packets: number;
}

/** What was stored after the previous read of one counter. */
export interface PrevState extends CounterValue {
  /** The generation of the counters it was read from (nft table handle, BPF map id). */
  tableHandle: number;
  /** When it was read, unix ms. */
  seenAt: number;
  /** When the kernel would drop it unless refreshed, unix ms; null when it does not expire. */
  expiresAt: number | null;
}

/** A stored counter: its family (set or map) and key, and its last value. */
export interface CounterState extends PrevState {
  setName: string;
  elemKey: string;
}

export interface Reading extends CounterValue {
  tableHandle: number;
  /** Milliseconds left before expiry as the kernel reported it, or null. */
  expiresMs: number | null;
}

export type DeltaReason = 'continued' | 'new' | 'new-table' | 'reset' | 'expired-and-recreated';

export interface Delta extends CounterValue {
  reason: DeltaReason;
}

export interface DeltaContext {
  /** When this reading was taken, unix ms. */
  now: number;
  /** The counter's idle timeout, ms (0 or null: it never expires). */
  timeoutMs: number | null;
  /** Slack for the kernel's whole-second expiry reports, ms. */
  slackMs?: number;
}

/**
 * counterDelta computes how much one counter grew since it was last read.
 * - no previous state, or another generation: the counter is new, all of it counts;
 * - the value went down: the counter was re-created, its whole value is new;
 * - the counter could have expired since the last read and the time it was last
 *   refreshed (now − (timeout − expires)) lies after that expiry: re-created, all new;
 * - otherwise the difference.
 */
export function counterDelta(prev: PrevState | undefined, cur: Reading, ctx: DeltaContext): Delta {
  const all = (reason: DeltaReason): Delta => ({ bytes: cur.bytes, packets: cur.packets, reason });
  if (!prev) return all('new');
  if (prev.tableHandle !== cur.tableHandle) return all('new-table');
  if (cur.bytes < prev.bytes || cur.packets < prev.packets) return all('reset');
  const slack = ctx.slackMs ?? 1500;
  if (ctx.timeoutMs && prev.expiresAt !== null && cur.expiresMs !== null && ctx.now + slack >= prev.expiresAt) {
    const refreshedAt = ctx.now - (ctx.timeoutMs - cur.expiresMs);
    if (refreshedAt > prev.expiresAt + slack) return all('expired-and-recreated');
  }
  return { bytes: cur.bytes - prev.bytes, packets: cur.packets - prev.packets, reason: 'continued' };
}

/** expiryOf turns a reading's time-to-expiry into an absolute time, unix ms. */
export function expiryOf(cur: Reading, now: number): number | null {
  return cur.expiresMs === null ? null : now + cur.expiresMs;
}

/** What one counter added since the previous poll, keyed as the store books it. */
export interface CounterDelta extends CounterValue {
  family: string;
  cgroupId: number | null;
  iface: string;
  direction: Direction;
  /** Time since the previous read of this counter, ms; null for a new counter. */
  elapsedMs: number | null;
}

export interface DeltaResult {
  deltas: CounterDelta[];
  /** The new stored value of every counter read. */
  next: CounterState[];
  /** State keys of counters that are gone for good: their stored values are dropped. */
  gone: string[];
  /** Per-interface counters read unchanged since the previous poll (candidates for removal once their interface is gone). */
  idle: CounterEntry[];
}

/**
 * computeDeltas turns one snapshot of a source into deltas and the states to store next.
 * `families` are the families this snapshot answers for: a stored counter of one of them
 * that the snapshot lacks is forgotten only once it must have expired, or when its
 * generation is gone; a listing of a set that resizes under inserts can skip elements,
 * and if one shows up again before that, its stored value is still the base of its delta.
 */
export function computeDeltas(
  entries: readonly CounterEntry[],
  generation: number,
  states: ReadonlyMap<string, CounterState>,
  opts: { now: number; families: readonly string[] },
): DeltaResult {
  const { now } = opts;
  const deltas: CounterDelta[] = [];
  const next: CounterState[] = [];
  const idle: CounterEntry[] = [];
  const present = new Set<string>();
  for (const e of entries) {
    const elemKey = entryElemKey(e);
    const key = `${e.family}/${elemKey}`;
    // A dump of a set that grows while it is read can list an element twice: count it once.
    if (present.has(key)) continue;
    present.add(key);
    const prev = states.get(key);
    const reading: Reading = { bytes: e.bytes, packets: e.packets, tableHandle: generation, expiresMs: e.expiresMs };
    const d = counterDelta(prev, reading, { now, timeoutMs: e.timeoutMs });
    next.push({ setName: e.family, elemKey, tableHandle: generation, bytes: e.bytes, packets: e.packets, seenAt: now, expiresAt: expiryOf(reading, now) });
    if (d.bytes > 0 || d.packets > 0) {
      deltas.push({ family: e.family, cgroupId: e.cgroupId, iface: e.iface, direction: e.direction, bytes: d.bytes, packets: d.packets, elapsedMs: prev ? now - prev.seenAt : null });
    } else if (prev) idle.push(e);
  }
  const mine = new Set(opts.families);
  const gone: string[] = [];
  for (const [k, v] of states) {
    if (present.has(k) || !mine.has(v.setName)) continue;
    if (v.tableHandle !== generation || (v.expiresAt !== null && now > v.expiresAt + 5000)) gone.push(k);
  }
  return { deltas, next, gone, idle };
}
