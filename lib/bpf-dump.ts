/**
 * Parses what collector/native/bpfcount prints: its `ready` greeting and each dump of the
 * counter map (format in bpfcount.c). Pure: tested on recorded text.
 */
import type { Direction } from './counters';

/** One entry of the BPF counter map, summed over CPUs. */
export interface BpfEntry {
  cgroupId: number;
  ifindex: number;
  /** The interface's name in the collector's network namespace; null when no interface has that index. */
  ifname: string | null;
  direction: Direction;
  /**
   * The entry holds what the segments of GSO/GRO packets added on the wire in that direction
   * (their extra headers and packets), not the packets themselves (count.bpf.c).
   */
  segments: boolean;
  /**
   * The packet's socket was in another network namespace (a container's): ifindex is that
   * namespace's, ifname null (count.bpf.c).
   */
  foreign: boolean;
  bytes: number;
  packets: number;
}

export interface BpfDump {
  mapId: number;
  count: number;
  capacity: number;
  entries: BpfEntry[];
}

export interface BpfReady {
  mapId: number;
  capacity: number;
  /** The map was made now (no earlier pin): its counts start from zero. */
  created: boolean;
  /** Whether the program counts destinations now; null when the greeting does not say. */
  destinations: boolean | null;
  /** The program tells sockets of other network namespaces apart (Linux 6.15 and later). */
  netnsApart: boolean;
}

/** errorOf returns the helper's `error …` message if the answer is one. */
function errorOf(text: string): string | null {
  const m = /^error (.*)$/m.exec(text);
  return m ? m[1] : null;
}

/** parseBpfReady reads the greeting; throws with the helper's reason when it could not load or attach. */
export function parseBpfReady(text: string): BpfReady {
  const err = errorOf(text);
  if (err !== null) throw new Error(err);
  const m = /^ready (\d+) (\d+) (created|reused)$/m.exec(text);
  if (!m) throw new Error(`unexpected answer from the BPF helper: ${text.slice(0, 200)}`);
  const dests = /^dests \d+ \d+ (on|off)$/m.exec(text);
  return { mapId: Number(m[1]), capacity: Number(m[2]), created: m[3] === 'created', destinations: dests ? dests[1] === 'on' : null, netnsApart: /^netns apart$/m.test(text) };
}

type Row = [number, number, string | null, number, number, number];

/** Added to the direction in the key of an entry that holds segments' extra headers (count.bpf.c). */
const SEGMENTS = 2;
/** Added to the direction in the key of an entry of another network namespace's socket (count.bpf.c). */
const FOREIGN = 4;

function isRow(r: unknown): r is Row {
  return (
    Array.isArray(r) && r.length === 6 && Number.isSafeInteger(r[0]) && Number.isSafeInteger(r[1]) && (r[2] === null || typeof r[2] === 'string') &&
    Number.isInteger(r[3]) && r[3] >= 0 && r[3] <= FOREIGN + 1 && Number.isSafeInteger(r[4]) && Number.isSafeInteger(r[5])
  );
}

/** parseBpfDump reads one dump; throws on an error answer or a malformed one. */
export function parseBpfDump(text: string): BpfDump {
  const err = errorOf(text);
  if (err !== null) throw new Error(err);
  const head = /^map (\d+) (\d+) (\d+)$/m.exec(text);
  const body = /^entries (.*)$/m.exec(text);
  if (!text.startsWith('bpfcount 1\n') || !head || !body) throw new Error(`malformed dump from the BPF helper: ${text.slice(0, 200)}`);
  const rows: unknown = JSON.parse(body[1]);
  if (!Array.isArray(rows) || !rows.every(isRow)) throw new Error('malformed entries in the dump of the BPF helper');
  return {
    mapId: Number(head[1]),
    count: Number(head[2]),
    capacity: Number(head[3]),
    entries: rows.map((r) => ({ cgroupId: r[0], ifindex: r[1], ifname: r[2], direction: r[3] % 2 === 0 ? 'in' : 'out', segments: (r[3] & SEGMENTS) !== 0, foreign: (r[3] & FOREIGN) !== 0, bytes: r[4], packets: r[5] })),
  };
}

/** bpfKeyWord is how a delete request names an entry: CGROUP:IFINDEX:DIR (DIR as the map's key has it). */
export function bpfKeyWord(e: { cgroupId: number; ifindex: number; direction: Direction; segments?: boolean; foreign?: boolean }): string {
  return `${e.cgroupId}:${e.ifindex}:${(e.direction === 'in' ? 0 : 1) + (e.segments ? SEGMENTS : 0) + (e.foreign ? FOREIGN : 0)}`;
}

/** parseBpfDeleted lists the entries a delete request removed (`deleted C:I:D` lines). */
export function parseBpfDeleted(text: string): Set<string> {
  const err = errorOf(text);
  if (err !== null) throw new Error(err);
  const out = new Set<string>();
  for (const m of text.matchAll(/^deleted (\d+:\d+:[0-7])$/gm)) out.add(m[1]);
  return out;
}


/**
 * splitBpfEntries sorts a dump's entries into the apps' counters and their segments' extra
 * headers, leaving out the root cgroup's (the kernel's own sockets, and those of other network
 * namespaces that live there: unattributed, as nft's `socket cgroupv2 level N`, N ≥ 1, leaves them).
 */
export function splitBpfEntries(entries: readonly BpfEntry[], rootId: number): { apps: BpfEntry[]; segments: BpfEntry[] } {
  const mine = entries.filter((e) => e.cgroupId !== rootId);
  return { apps: mine.filter((e) => !e.segments), segments: mine.filter((e) => e.segments) };
}
