/**
 * Counter deltas that survive resets. Kernel counters only grow while their element
 * lives; an element can vanish (idle timeout, flushed set, re-created table) and come
 * back from zero. The rules below never produce a negative delta and never count the
 * same bytes twice; where the kernel's answer is ambiguous they prefer to undercount.
 */

export interface CounterValue {
  bytes: number;
  packets: number;
}

/** What was stored after the previous read of one element. */
export interface PrevState extends CounterValue {
  tableHandle: number;
  /** When it was read, unix ms. */
  seenAt: number;
  /** When the kernel would drop it unless refreshed, unix ms; null when it does not expire. */
  expiresAt: number | null;
}

export interface Reading extends CounterValue {
  tableHandle: number;
  /** Seconds left before expiry as the kernel reported it, or null. */
  expiresSec: number | null;
}

export type DeltaReason = 'continued' | 'new' | 'new-table' | 'reset' | 'expired-and-recreated';

export interface Delta extends CounterValue {
  reason: DeltaReason;
}

export interface DeltaContext {
  /** When this reading was taken, unix ms. */
  now: number;
  /** The set's element timeout in seconds (0 or null: elements never expire). */
  timeoutSec: number | null;
  /** Slack for the kernel's whole-second expiry reports, ms. */
  slackMs?: number;
}

/**
 * counterDelta computes how much one element grew since it was last read.
 * - no previous state, or another table incarnation: the element is new, all of it counts;
 * - the value went down: the element was re-created, its whole value is new;
 * - the element could have expired since the last read and the time it was last
 *   refreshed (now − (timeout − expires)) lies after that expiry: re-created, all new;
 * - otherwise the difference.
 */
export function counterDelta(prev: PrevState | undefined, cur: Reading, ctx: DeltaContext): Delta {
  const all = (reason: DeltaReason): Delta => ({ bytes: cur.bytes, packets: cur.packets, reason });
  if (!prev) return all('new');
  if (prev.tableHandle !== cur.tableHandle) return all('new-table');
  if (cur.bytes < prev.bytes || cur.packets < prev.packets) return all('reset');
  const slack = ctx.slackMs ?? 1500;
  if (ctx.timeoutSec && prev.expiresAt !== null && cur.expiresSec !== null && ctx.now + slack >= prev.expiresAt) {
    const refreshedAt = ctx.now - (ctx.timeoutSec - cur.expiresSec) * 1000;
    if (refreshedAt > prev.expiresAt + slack) return all('expired-and-recreated');
  }
  return { bytes: cur.bytes - prev.bytes, packets: cur.packets - prev.packets, reason: 'continued' };
}

/** expiryOf turns a reading's seconds-to-expiry into an absolute time, unix ms. */
export function expiryOf(cur: Reading, now: number): number | null {
  return cur.expiresSec === null ? null : now + cur.expiresSec * 1000;
}
