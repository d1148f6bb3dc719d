/**
 * Parsing the output of collector/native/nftdump.c: our table's counters as read over
 * netlink (set elements with their counters and expiry, rule counts per chain, named
 * counters and quotas), one record per line, each set's elements as one JSON array
 * (parsed natively: the bulk of a dump). Cgroup ids arrive as numbers, never as paths,
 * so nothing walks the cgroup tree to print them. The destination sets' elements come as
 * `delems` records (lib/nft/dest-sets.ts).
 */
import type { FirewallCounters } from './firewall-parse';
import { COUNTER_SETS, type CounterSetName, SET_ACCT_IN, SET_ACCT_OUT } from './names';
import { NftParseError, type CounterElement, type TableSnapshot } from './parse';
import { DEST_KEYLEN, destSetSpec, parseDestElems, type NftDestElement } from './dest-sets';

/** What one dump holds: the counter snapshot and the firewall's named objects. */
export interface NftDump {
  snapshot: TableSnapshot;
  firewall: FirewallCounters;
}

/** Key lengths: `socket cgroupv2 level N . ifname` is an 8-byte id and a 16-byte name; ifname alone is 16 bytes. */
const CONCAT_KEYLEN = 24;
const IFNAME_KEYLEN = 16;
const CONCAT_SETS: readonly string[] = [SET_ACCT_IN, SET_ACCT_OUT];

const isCounterSet = (name: string): name is CounterSetName => (COUNTER_SETS as readonly string[]).includes(name);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** count reads a non-negative integer field; `line` (0-based) only goes into the error message. */
function count(s: string, what: string, line: number): number {
  const n = +s;
  const c = s.charCodeAt(0);
  if (!Number.isSafeInteger(n) || n < 0 || c < 48 || c > 57) throw new NftParseError(`line ${line + 1}: ${what} is not a count: '${s.slice(0, 40)}'`);
  return n;
}

function firewallObject(out: FirewallCounters, kind: string, name: string, a: number, b: number): void {
  const rule = kind === 'counter' ? /^fw_r(\d+)$/.exec(name) : null;
  if (rule) out.rules.set(Number(rule[1]), { packets: a, bytes: b });
  const quota = kind === 'quota' ? /^fw_q(\d+)$/.exec(name) : null;
  if (quota) out.quotas.set(Number(quota[1]), { limit: a, used: b });
}

/**
 * readElems adds one set's elements (`[[id, ifname, bytes, packets, expiresMs], …]`) to
 * `out`, checking each against the key layout the set must have; returns how many
 * elements the set holds (with or without a counter).
 */
function readElems(set: CounterSetName, keylen: number, json: string, out: CounterElement[], line: number): number {
  const concat = CONCAT_SETS.includes(set);
  const want = concat ? CONCAT_KEYLEN : IFNAME_KEYLEN;
  if (keylen !== want) throw new NftParseError(`line ${line + 1}: set ${set} has ${keylen}-byte keys, expected ${want} (${concat ? 'cgroup id + ifname' : 'ifname'})`);
  let items: unknown;
  try {
    items = JSON.parse(json);
  } catch (err) {
    throw new NftParseError(`line ${line + 1}: elements of ${set} are not JSON (${err instanceof Error ? err.message.slice(0, 80) : ''})`);
  }
  if (!Array.isArray(items)) throw new NftParseError(`line ${line + 1}: elements of ${set} are not an array`);
  for (const it of items) {
    if (!Array.isArray(it) || it.length !== 5) throw new NftParseError(`line ${line + 1}: an element of ${set} is not [id, ifname, bytes, packets, expires]`);
    const [id, iface, bytes, packets, expires] = it as unknown[];
    if (bytes === null) continue; // no counter: nothing to count, as with nft's JSON
    if ((concat ? !isCount(id) : id !== null) || typeof iface !== 'string' || !isCount(bytes) || !isCount(packets) || !(expires === null || isCount(expires))) {
      throw new NftParseError(`line ${line + 1}: bad element of ${set}: ${JSON.stringify(it).slice(0, 120)}`);
    }
    out.push({ set, cgroup: concat ? (id as number) : null, iface, bytes, packets, expiresSec: expires === null ? null : expires / 1000 });
  }
  return items.length;
}

/** readDestElems adds one destination set's elements (a `delems` record) to `out`; returns how many the set holds. */
function readDestElems(name: string, keylen: number, json: string, out: NftDestElement[], line: number): number {
  const set = destSetSpec(name)!;
  if (keylen !== DEST_KEYLEN[set.ipv]) throw new NftParseError(`line ${line + 1}: set ${name} has ${keylen}-byte keys, expected ${DEST_KEYLEN[set.ipv]} (a destination of IPv${set.ipv})`);
  let items: unknown;
  try {
    items = JSON.parse(json);
  } catch (err) {
    throw new NftParseError(`line ${line + 1}: elements of ${name} are not JSON (${err instanceof Error ? err.message.slice(0, 80) : ''})`);
  }
  try {
    return parseDestElems(set, items, out);
  } catch (err) {
    throw new NftParseError(`line ${line + 1}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * parseNftDump reads nftdump's output for our table; null when the table does not
 * exist. Sets other than the counter sets and elements without a counter are skipped,
 * as parseTableSnapshot does with nft's JSON.
 */
export function parseNftDump(text: string): NftDump | null {
  const lines = text.split('\n');
  if (lines[0] !== 'nftdump 2') throw new NftParseError(`not nftdump format 2 output: '${(lines[0] ?? '').slice(0, 60)}'`);
  let tableHandle: number | null = null;
  let absent = false;
  let ended = false;
  const elements: CounterElement[] = [];
  const setFill: TableSnapshot['setFill'] = {};
  const keylens = new Map<string, number>();
  const chains: Record<string, number> = {};
  const firewall: FirewallCounters = { rules: new Map(), quotas: new Map() };
  const dests: NonNullable<TableSnapshot['dests']> = { elements: [], fill: {} };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const sp = line.indexOf(' ');
    const kind = sp === -1 ? line : line.slice(0, sp);
    if (kind === 'elems') {
      const sp2 = line.indexOf(' ', sp + 1);
      const set = line.slice(sp + 1, sp2);
      if (!isCounterSet(set)) continue;
      const fill = setFill[set];
      if (!fill) throw new NftParseError(`line ${i + 1}: elements of ${set} before its set record`);
      fill.count += readElems(set, keylens.get(set) ?? 0, line.slice(sp2 + 1), elements, i);
      continue;
    }
    if (kind === 'delems') {
      const sp2 = line.indexOf(' ', sp + 1);
      const set = line.slice(sp + 1, sp2);
      const fill = dests.fill[set];
      if (!fill) throw new NftParseError(`line ${i + 1}: elements of ${set.slice(0, 40)} before its set record, or not a destination set`);
      fill.count += readDestElems(set, keylens.get(set) ?? 0, line.slice(sp2 + 1), dests.elements, i);
      continue;
    }
    const f = line.split(' ');
    switch (kind) {
      case 'error':
        throw new Error(`nftdump: ${line.slice(6)}`);
      case 'absent':
        absent = true;
        break;
      case 'table':
        tableHandle = count(f[1], 'table handle', i);
        break;
      case 'set':
        if (f.length !== 4) throw new NftParseError(`line ${i + 1}: set record has ${f.length} fields`);
        if (destSetSpec(f[1])) dests.fill[f[1]] = { count: 0, size: count(f[2], 'set size', i) || null };
        else if (!isCounterSet(f[1])) break;
        else setFill[f[1]] = { count: 0, size: count(f[2], 'set size', i) || null };
        keylens.set(f[1], count(f[3], 'key length', i));
        break;
      case 'chain':
        chains[f[1]] = count(f[2], 'rule count', i);
        break;
      case 'counter':
      case 'quota':
        firewallObject(firewall, f[0], f[1], count(f[2], f[0], i), count(f[3], f[0], i));
        break;
      case 'end':
        ended = true;
        if (f[1] !== '-' && tableHandle !== null && count(f[1], 'end handle', i) !== tableHandle) throw new NftParseError(`the table changed during the dump (handle ${tableHandle} → ${f[1]})`);
        break;
      default:
        throw new NftParseError(`line ${i + 1}: unknown record '${kind.slice(0, 20)}'`);
    }
  }
  if (!ended) throw new NftParseError('nftdump output is truncated (no end record)');
  if (absent) return null;
  if (tableHandle === null) throw new NftParseError('nftdump output has no table record');
  return { snapshot: { tableHandle, elements, setFill, chains, dests }, firewall };
}
