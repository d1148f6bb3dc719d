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

function count(s: string, what: string): number {
  if (!/^\d{1,20}$/.test(s)) throw new NftParseError(`${what} is not a count: '${s.slice(0, 40)}'`);
  return Number(s);
}

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

/** idOf reads an 8-byte cgroup id from its hex, in the byte order nftdump reported. */
function idOf(hex: string, littleEndian: boolean): number {
  const be = littleEndian ? hex.match(/../g)!.reverse().join('') : hex;
  const high = parseInt(be.slice(0, 8), 16);
  const id = high * 2 ** 32 + parseInt(be.slice(8), 16);
  if (!Number.isSafeInteger(id)) throw new NftParseError(`cgroup id 0x${be} is beyond 2^53`);
  return id;
}

const HEX = /^(?:[0-9a-f]{2})+$/;

function decodeKey(set: CounterSetName, hex: string, littleEndian: boolean): { cgroup: number | null; iface: string } {
  if (!HEX.test(hex)) throw new NftParseError(`key of an element of ${set} is not hex: '${hex.slice(0, 60)}'`);
  const bytes = hex.length / 2;
  if (CONCAT_SETS.includes(set)) {
    if (bytes !== CGROUP_ID_BYTES + IFNAME_BYTES) throw new NftParseError(`key of an element of ${set} has ${bytes} bytes, expected cgroup id (8) + ifname (16)`);
    return { cgroup: idOf(hex.slice(0, 2 * CGROUP_ID_BYTES), littleEndian), iface: ifnameOf(hex.slice(2 * CGROUP_ID_BYTES)) };
  }
  if (bytes !== IFNAME_BYTES) throw new NftParseError(`key of an element of ${set} has ${bytes} bytes, expected an ifname (16)`);
  return { cgroup: null, iface: ifnameOf(hex) };
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
  const littleEndian = head[1] === 'le';
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
    const where = `line ${i + 1}`;
    switch (f[0]) {
      case 'error':
        throw new Error(`nftdump: ${line.slice(6)}`);
      case 'absent':
        absent = true;
        break;
      case 'table':
        tableHandle = count(f[1], `table handle (${where})`);
        break;
      case 'set':
        if (f.length !== 4) throw new NftParseError(`${where}: set record has ${f.length} fields`);
        if (isCounterSet(f[1])) setFill[f[1]] = { count: 0, size: count(f[2], `size of ${f[1]}`) || null };
        break;
      case 'e': {
        if (f.length !== 6) throw new NftParseError(`${where}: element record has ${f.length} fields`);
        const set = f[1];
        if (!isCounterSet(set)) break;
        const fill = setFill[set];
        if (!fill) throw new NftParseError(`${where}: element of ${set} before its set record`);
        fill.count++;
        if (f[3] === '-') break;
        const { cgroup, iface } = decodeKey(set, f[2], littleEndian);
        const expiresSec = f[5] === '-' ? null : count(f[5], `expiry (${where})`) / 1000;
        elements.push({ set, cgroup, iface, bytes: count(f[3], `bytes (${where})`), packets: count(f[4], `packets (${where})`), expiresSec });
        break;
      }
      case 'chain':
        chains[f[1]] = count(f[2], `rule count of ${f[1]}`);
        break;
      case 'counter':
      case 'quota':
        firewallObject(firewall, f[0], f[1], count(f[2], `${f[0]} ${f[1]}`), count(f[3], `${f[0]} ${f[1]}`));
        break;
      case 'end':
        ended = true;
        if (f[1] !== '-' && tableHandle !== null && count(f[1], 'end handle') !== tableHandle) throw new NftParseError(`the table changed during the dump (handle ${tableHandle} → ${f[1]})`);
        break;
      default:
        throw new NftParseError(`${where}: unknown record '${f[0].slice(0, 20)}'`);
    }
  }
  if (!ended) throw new NftParseError('nftdump output is truncated (no end record)');
  if (absent) return null;
  if (tableHandle === null) throw new NftParseError('nftdump output has no table record');
  return { snapshot: { tableHandle, elements, setFill, chains }, firewall };
}
