/**
 * Parsing the output of collector/native/nftdump.c: our table's counters as read over
 * netlink (set elements with their counters and expiry, rule counts per chain, named
 * counters and quotas), one record per line. Cgroup ids arrive as raw key bytes, never
 * as paths, so nothing walks the cgroup tree to print them.
 */
import type { FirewallCounters } from './firewall-parse';
import { COUNTER_SETS, type CounterSetName, SET_ACCT_IN, SET_ACCT_OUT } from './names';
import { NftParseError, type CounterElement, type TableSnapshot } from './parse';

/** What one dump holds: the counter snapshot and the firewall's named objects. */
export interface NftDump {
  snapshot: TableSnapshot;
  firewall: FirewallCounters;
}

/** Key layouts: `socket cgroupv2 level N . ifname` is an 8-byte id (host order) and a 16-byte name; ifname alone is 16 bytes. */
const IFNAME_BYTES = 16;
const CGROUP_ID_BYTES = 8;
const CONCAT_SETS: readonly string[] = [SET_ACCT_IN, SET_ACCT_OUT];

const isCounterSet = (name: string): name is CounterSetName => (COUNTER_SETS as readonly string[]).includes(name);

/** count reads a non-negative integer field; `line` (0-based) only goes into the error message. */
function count(s: string, what: string, line: number): number {
  const n = +s;
  const c = s.charCodeAt(0);
  if (!Number.isSafeInteger(n) || n < 0 || c < 48 || c > 57) throw new NftParseError(`line ${line + 1}: ${what} is not a count: '${s.slice(0, 40)}'`);
  return n;
}

const HEX = /^(?:[0-9a-f]{2})+$/;

/** ifnameOf reads a NUL-padded interface name from the hex of its 16 bytes. */
function ifnameOf(hex: string): string {
  let name = '';
  for (let i = 0; i < hex.length; i += 2) {
    const b = parseInt(hex.slice(i, i + 2), 16);
    if (b === 0) break;
    name += String.fromCharCode(b);
  }
  return name;
}

const bswap32 = (x: number) => (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;

/** idOf reads an 8-byte cgroup id from its 16 hex digits, in the byte order nftdump reported. */
function idOf(hex: string, littleEndian: boolean): number {
  const a = parseInt(hex.slice(0, 8), 16);
  const b = parseInt(hex.slice(8, 16), 16);
  const [high, low] = littleEndian ? [bswap32(b), bswap32(a)] : [a, b];
  const id = high * 2 ** 32 + low;
  if (!Number.isSafeInteger(id)) throw new NftParseError(`cgroup id 0x${hex} (as stored) is beyond 2^53`);
  return id;
}

/**
 * KeyDecoder turns element keys into (cgroup id, interface); interface names repeat
 * across thousands of elements, so each distinct one is decoded and checked once.
 */
class KeyDecoder {
  private names = new Map<string, string>();
  constructor(private readonly littleEndian: boolean) {}

  private ifname(set: string, hex: string): string {
    let name = this.names.get(hex);
    if (name === undefined) {
      if (hex.length !== 2 * IFNAME_BYTES || !HEX.test(hex)) throw new NftParseError(`key of an element of ${set} does not end in an ifname (16 bytes of hex): '${hex.slice(0, 60)}'`);
      this.names.set(hex, (name = ifnameOf(hex)));
    }
    return name;
  }

  decode(set: CounterSetName, hex: string): { cgroup: number | null; iface: string } {
    if (!CONCAT_SETS.includes(set)) return { cgroup: null, iface: this.ifname(set, hex) };
    const idHex = hex.slice(0, 2 * CGROUP_ID_BYTES);
    if (hex.length !== 2 * (CGROUP_ID_BYTES + IFNAME_BYTES) || !HEX.test(idHex)) throw new NftParseError(`key of an element of ${set} is not a cgroup id (8 bytes) + ifname (16 bytes) in hex: '${hex.slice(0, 60)}'`);
    return { cgroup: idOf(idHex, this.littleEndian), iface: this.ifname(set, hex.slice(2 * CGROUP_ID_BYTES)) };
  }
}

function firewallObject(out: FirewallCounters, kind: string, name: string, a: number, b: number): void {
  const rule = kind === 'counter' ? /^fw_r(\d+)$/.exec(name) : null;
  if (rule) out.rules.set(Number(rule[1]), { packets: a, bytes: b });
  const quota = kind === 'quota' ? /^fw_q(\d+)$/.exec(name) : null;
  if (quota) out.quotas.set(Number(quota[1]), { limit: a, used: b });
}

/**
 * parseNftDump reads nftdump's output for our table; null when the table does not
 * exist. Sets other than the counter sets and elements without a counter are skipped,
 * as parseTableSnapshot does with nft's JSON.
 */
export function parseNftDump(text: string): NftDump | null {
  const lines = text.split('\n');
  const head = /^nftdump 1 (le|be)$/.exec(lines[0] ?? '');
  if (!head) throw new NftParseError(`not nftdump format 1 output: '${(lines[0] ?? '').slice(0, 60)}'`);
  const keys = new KeyDecoder(head[1] === 'le');
  let tableHandle: number | null = null;
  let absent = false;
  let ended = false;
  const elements: CounterElement[] = [];
  const setFill: TableSnapshot['setFill'] = {};
  const chains: Record<string, number> = {};
  const firewall: FirewallCounters = { rules: new Map(), quotas: new Map() };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const f = line.split(' ');
    const where = () => `line ${i + 1}`;
    switch (f[0]) {
      case 'error':
        throw new Error(`nftdump: ${line.slice(6)}`);
      case 'absent':
        absent = true;
        break;
      case 'table':
        tableHandle = count(f[1], 'table handle', i);
        break;
      case 'set':
        if (f.length !== 4) throw new NftParseError(`${where()}: set record has ${f.length} fields`);
        if (isCounterSet(f[1])) setFill[f[1]] = { count: 0, size: count(f[2], 'set size', i) || null };
        break;
      case 'e': {
        if (f.length !== 6) throw new NftParseError(`${where()}: element record has ${f.length} fields`);
        const set = f[1];
        if (!isCounterSet(set)) break;
        const fill = setFill[set];
        if (!fill) throw new NftParseError(`${where()}: element of ${set} before its set record`);
        fill.count++;
        if (f[3] === '-') break;
        const { cgroup, iface } = keys.decode(set, f[2]);
        const expiresSec = f[5] === '-' ? null : count(f[5], 'expiry', i) / 1000;
        elements.push({ set, cgroup, iface, bytes: count(f[3], 'bytes', i), packets: count(f[4], 'packets', i), expiresSec });
        break;
      }
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
        throw new NftParseError(`${where()}: unknown record '${f[0].slice(0, 20)}'`);
    }
  }
  if (!ended) throw new NftParseError('nftdump output is truncated (no end record)');
  if (absent) return null;
  if (tableHandle === null) throw new NftParseError('nftdump output has no table record');
  return { snapshot: { tableHandle, elements, setFill, chains }, firewall };
}
