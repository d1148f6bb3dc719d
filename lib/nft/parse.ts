import { z } from 'zod';
import { COUNTER_SETS, type CounterSetName, TABLE_NAME } from './names';
import type { NftDestElement } from './dest-sets';

/** One counter element as the kernel reported it. */
export interface CounterElement {
  set: CounterSetName;
  /** Cgroup of the socket: its id (cgroup gone, or printed numerically) or its path (nft resolved it). Null for unattributed sets. */
  cgroup: number | string | null;
  iface: string;
  bytes: number;
  packets: number;
  /** Seconds until the kernel drops the element unless a packet refreshes it. */
  expiresSec: number | null;
}

export interface TableSnapshot {
  /** Handle of our table: a new handle means the table was re-created and counters restarted. */
  tableHandle: number;
  elements: CounterElement[];
  /** Element count and capacity of each counter set, for fill monitoring. */
  setFill: Record<string, { count: number; size: number | null }>;
  /** Rule count per chain, to see that our chains are in place. */
  chains: Record<string, number>;
  /**
   * The destination sets (lib/nft/dest-sets.ts) as the netlink helper read them: their elements,
   * and the fill of each set present (none: destinations are off). Absent from nft's JSON listing,
   * which does not read them.
   */
  dests?: { elements: NftDestElement[]; fill: Record<string, { count: number; size: number | null }> };
}

const setItem = z.object({
  set: z.object({
    name: z.string(),
    table: z.string(),
    handle: z.number().optional(),
    size: z.number().optional(),
    // Elements are checked by hand below: a schema per element is most of a poll's CPU at 10,000 elements.
    elem: z.array(z.unknown()).optional(),
  }),
});
const tableItem = z.object({ table: z.object({ name: z.string(), handle: z.number() }) });
const chainItem = z.object({ chain: z.object({ name: z.string(), table: z.string() }) });
const ruleItem = z.object({ rule: z.object({ chain: z.string(), table: z.string() }) });
const doc = z.object({ nftables: z.array(z.record(z.string(), z.unknown())) });

/** NftParseError names what in nft's JSON did not have the expected shape. */
export class NftParseError extends Error {
  constructor(what: string) {
    super(`unexpected nft JSON: ${what}`);
    this.name = 'NftParseError';
  }
}

function isCounterSet(name: string): name is CounterSetName {
  return (COUNTER_SETS as readonly string[]).includes(name);
}

function numericOrPath(v: string | number): number | string {
  if (typeof v === 'number') return v;
  return /^\d+$/.test(v) ? Number(v) : v;
}

const isScalar = (v: unknown): v is string | number => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** parseElement reads one set element with a counter; null for anything else (nothing to count). */
function parseElement(set: CounterSetName, raw: unknown): CounterElement | null {
  if (typeof raw !== 'object' || raw === null || !('elem' in raw)) return null;
  const e = (raw as { elem: unknown }).elem;
  if (typeof e !== 'object' || e === null) return null;
  const { val, expires, counter } = e as { val?: unknown; expires?: unknown; counter?: unknown };
  if (typeof counter !== 'object' || counter === null) return null;
  const { bytes, packets } = counter as { bytes?: unknown; packets?: unknown };
  if (!isCount(bytes) || !isCount(packets)) return null;
  const expiresSec = typeof expires === 'number' ? expires : null;
  if (isScalar(val)) return { set, cgroup: null, iface: String(val), bytes, packets, expiresSec };
  const parts = typeof val === 'object' && val !== null ? (val as { concat?: unknown }).concat : undefined;
  if (!Array.isArray(parts) || parts.length !== 2 || !isScalar(parts[0]) || !isScalar(parts[1])) return null;
  return { set, cgroup: numericOrPath(parts[0]), iface: String(parts[1]), bytes, packets, expiresSec };
}

/**
 * parseTableSnapshot reads the output of `nft -j list table inet appnet` into counter
 * elements, the table handle and set fill. Text is parsed here, not read, so the
 * parser is tested on recorded output.
 */
export function parseTableSnapshot(json: string): TableSnapshot {
  let top: z.infer<typeof doc>;
  try {
    top = doc.parse(JSON.parse(json));
  } catch (err) {
    throw new NftParseError(err instanceof Error ? err.message.slice(0, 200) : 'not JSON');
  }
  let tableHandle: number | null = null;
  const elements: CounterElement[] = [];
  const setFill: TableSnapshot['setFill'] = {};
  const chains: Record<string, number> = {};
  for (const item of top.nftables) {
    const t = tableItem.safeParse(item);
    if (t.success && t.data.table.name === TABLE_NAME) tableHandle = t.data.table.handle;
    const c = chainItem.safeParse(item);
    if (c.success && c.data.chain.table === TABLE_NAME) chains[c.data.chain.name] ??= 0;
    const r = ruleItem.safeParse(item);
    if (r.success && r.data.rule.table === TABLE_NAME) chains[r.data.rule.chain] = (chains[r.data.rule.chain] ?? 0) + 1;
    const s = setItem.safeParse(item);
    if (!s.success || s.data.set.table !== TABLE_NAME || !isCounterSet(s.data.set.name)) continue;
    const name = s.data.set.name;
    const elems = s.data.set.elem ?? [];
    setFill[name] = { count: elems.length, size: s.data.set.size ?? null };
    for (const raw of elems) {
      const el = parseElement(name, raw);
      if (el) elements.push(el);
    }
  }
  if (tableHandle === null) throw new NftParseError(`table ${TABLE_NAME} missing from the listing`);
  return { tableHandle, elements, setFill, chains };
}
