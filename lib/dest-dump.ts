/**
 * Parses the destinations map as collector/native/bpfcount prints it (`dests` answers, format
 * in bpfcount.c) and names its entries for delete requests and the delta state. Pure: tested
 * on recorded text.
 */
import type { Direction } from './counters';

/** One destination counter: an app's (cgroup's) traffic with one remote address, protocol and port, on one interface, one way. */
export interface DestEntry {
  cgroupId: number;
  ifindex: number;
  /** The interface's name in the collector's network namespace; null when no interface has that index. */
  ifname: string | null;
  direction: Direction;
  /** The remote address: dotted IPv4 or IPv6 text as inet_ntop writes it. */
  remote: string;
  /** IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, …). */
  proto: number;
  /** The remote port, or the local one when `inbound`; 0 for a protocol without ports. */
  port: number;
  /** The connection was made to this app: `port` is its own (the service's) port. */
  inbound: boolean;
  bytes: number;
  packets: number;
}

export interface DestDump {
  mapId: number;
  count: number;
  capacity: number;
  entries: DestEntry[];
}

type Row = [number, number, string | null, number, string, number, number, number, number, number];

function isRow(r: unknown): r is Row {
  const int = Number.isSafeInteger;
  return (
    Array.isArray(r) && r.length === 10 && int(r[0]) && int(r[1]) && (r[2] === null || typeof r[2] === 'string') && (r[3] === 0 || r[3] === 1) &&
    typeof r[4] === 'string' && /^[0-9a-f:.]{2,45}$/i.test(r[4]) && int(r[5]) && r[5] >= 0 && r[5] <= 255 && int(r[6]) && r[6] >= 0 && r[6] <= 65535 &&
    (r[7] === 0 || r[7] === 1) && int(r[8]) && int(r[9])
  );
}

/** parseDestDump reads one `dests` answer; throws on an error answer or a malformed one. */
export function parseDestDump(text: string): DestDump {
  const err = /^error (.*)$/m.exec(text);
  if (err) throw new Error(err[1]);
  const head = /^dests (\d+) (\d+) (\d+)$/m.exec(text);
  const body = /^entries (.*)$/m.exec(text);
  if (!text.startsWith('bpfcount 1\n') || !head || !body) throw new Error(`malformed destinations dump from the BPF helper: ${text.slice(0, 200)}`);
  const rows: unknown = JSON.parse(body[1]);
  if (!Array.isArray(rows) || !rows.every(isRow)) throw new Error('malformed entries in the destinations dump of the BPF helper');
  return {
    mapId: Number(head[1]),
    count: Number(head[2]),
    capacity: Number(head[3]),
    entries: rows.map((r) => ({
      cgroupId: r[0], ifindex: r[1], ifname: r[2], direction: r[3] === 0 ? 'in' : 'out', remote: r[4], proto: r[5], port: r[6], inbound: r[7] === 1, bytes: r[8], packets: r[9],
    })),
  };
}

/** destKeyWord is how a ddelete request names a destination: C,I,D,ADDR,PROTO,PORT,LOCAL. */
export function destKeyWord(e: Pick<DestEntry, 'cgroupId' | 'ifindex' | 'direction' | 'remote' | 'proto' | 'port' | 'inbound'>): string {
  return `${e.cgroupId},${e.ifindex},${e.direction === 'in' ? 0 : 1},${e.remote},${e.proto},${e.port},${e.inbound ? 1 : 0}`;
}

/** parseDestDeleted lists the destinations a ddelete request removed (`deleted WORD` lines). */
export function parseDestDeleted(text: string): Set<string> {
  const err = /^error (.*)$/m.exec(text);
  if (err) throw new Error(err[1]);
  const out = new Set<string>();
  for (const m of text.matchAll(/^deleted (\S+)$/gm)) out.add(m[1]);
  return out;
}

/** parseDestSwitch reads the answer to `destinations on|off`: whether destinations are counted now. */
export function parseDestSwitch(text: string): boolean {
  const err = /^error (.*)$/m.exec(text);
  if (err) throw new Error(err[1]);
  const m = /^destinations (on|off)$/m.exec(text);
  if (!m) throw new Error(`unexpected answer from the BPF helper: ${text.slice(0, 200)}`);
  return m[1] === 'on';
}
