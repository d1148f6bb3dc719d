/**
 * The live view of an app's connections (issue 19): the sockets collector/native/sockdiag lists
 * (sock_diag, with each socket's cgroup and TCP byte counters), read here, grouped by app and
 * bounded, and the plain shape the app page shows. Pure: no I/O.
 */
import { z } from 'zod';
import { blockParam } from './destinations';

export const TCP = 6;
export const UDP = 17;

/** One socket as sockdiag lists it. */
export interface SocketEntry {
  proto: typeof TCP | typeof UDP;
  /** The kernel's TCP state number (UDP: 1 connected, 7 not). */
  state: number;
  /** The cgroup the socket was created in; null when the kernel does not say (before Linux 5.7). */
  cgroupId: number | null;
  local: string;
  localPort: number;
  /** '' when the socket has no peer (listening, or UDP not connected). */
  remote: string;
  remotePort: number;
  /** TCP only: bytes received, and bytes sent and acknowledged (tcp_info); null for UDP. */
  rxBytes: number | null;
  txBytes: number | null;
}

const u16 = z.number().int().min(0).max(65535);
const count = z.number().int().min(0).nullable();
const socketTuple = z.tuple([z.union([z.literal(TCP), z.literal(UDP)]), z.number().int().min(0).max(255), z.number().int().positive().nullable(), z.string().max(64), u16, z.string().max(64), u16, count, count]);
const socketList = z.array(socketTuple);

/** unmapped writes an IPv4-mapped IPv6 address (a dual-stack socket's IPv4 peer) as the IPv4 address it is. */
export function unmapped(addr: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(addr);
  return m ? m[1] : addr;
}

/** parseSockdiag reads one listing of sockdiag (see its file comment); it throws with sockdiag's own message on an error record. */
export function parseSockdiag(text: string): SocketEntry[] {
  const lines = text.split('\n');
  if (lines[0] !== 'sockdiag 1') throw new Error(`sockdiag: unknown output format '${lines[0].slice(0, 40)}'`);
  const err = lines.find((l) => l.startsWith('error '));
  if (err) throw new Error(`sockdiag: ${err.slice(6)}`);
  const list = lines.find((l) => l.startsWith('sockets '));
  const end = lines.find((l) => l.startsWith('end '));
  if (list === undefined || end === undefined) throw new Error('sockdiag: the listing is incomplete');
  let raw: unknown;
  try {
    raw = JSON.parse(list.slice(8));
  } catch {
    throw new Error('sockdiag: the socket list is not JSON');
  }
  const parsed = socketList.safeParse(raw);
  if (!parsed.success) throw new Error(`sockdiag: unexpected socket record: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  if (String(parsed.data.length) !== end.slice(4)) throw new Error(`sockdiag: listed ${parsed.data.length} sockets but counted ${end.slice(4)}`);
  return parsed.data.map(([proto, state, cgroupId, local, localPort, remote, remotePort, rxBytes, txBytes]) => ({
    proto, state, cgroupId, local: unmapped(local), localPort, remote: unmapped(remote), remotePort, rxBytes, txBytes,
  }));
}

const TCP_STATES: Record<number, string> = {
  1: 'established', 2: 'syn-sent', 3: 'syn-recv', 4: 'fin-wait-1', 5: 'fin-wait-2', 6: 'time-wait',
  7: 'close', 8: 'close-wait', 9: 'last-ack', 10: 'listen', 11: 'closing', 12: 'new-syn-recv',
};
const TCP_LISTEN = 10;
const UDP_CONNECTED = 1;

/** socketStateName names a socket's state as the live view shows it: TCP's (as ss writes them), UDP's 'connected' or 'open'. */
export function socketStateName(proto: number, state: number): string {
  if (proto === UDP) return state === UDP_CONNECTED ? 'connected' : 'open';
  return TCP_STATES[state] ?? String(state);
}

/** isOpenPort tells a socket that takes traffic from anyone (a TCP listener, a UDP socket without a fixed peer) from a connection. */
export function isOpenPort(e: Pick<SocketEntry, 'proto' | 'state' | 'remote'>): boolean {
  return e.proto === TCP ? e.state === TCP_LISTEN : e.state !== UDP_CONNECTED || e.remote === '';
}

/** One socket of an app in a snapshot, as stored. */
export interface LiveSocket extends Omit<SocketEntry, 'cgroupId'> {
  /** An open port (see isOpenPort) rather than a connection. */
  listening: boolean;
  /** A connection made to the app: its local port is one the app listens on. */
  inbound: boolean;
}

/** One app's part of a snapshot: its sockets, bounded, and how many it had in all. */
export interface AppSockets {
  appId: number;
  connections: number;
  listening: number;
  sockets: LiveSocket[];
}

/** What a snapshot keeps per app at most: connections by bytes, and open ports. */
export const LIVE_LIMITS = { connections: 200, listening: 50 } as const;

const bytesOf = (s: Pick<SocketEntry, 'rxBytes' | 'txBytes'>) => (s.rxBytes ?? 0) + (s.txBytes ?? 0);
const byAddress = (a: LiveSocket, b: LiveSocket) => a.remote.localeCompare(b.remote) || a.remotePort - b.remotePort || a.localPort - b.localPort;

/**
 * groupSockets splits a listing by app (appOf: the app of a cgroup id, undefined for a cgroup the
 * store does not know) for the apps in `apps`, and keeps each app's busiest LIVE_LIMITS.connections
 * connections (by bytes, then address) and first LIVE_LIMITS.listening open ports (by port).
 * Every app in `apps` gets an entry, empty when it holds no socket.
 */
export function groupSockets(entries: readonly SocketEntry[], appOf: (cgroupId: number) => number | undefined, apps: Iterable<number>): AppSockets[] {
  const mine = new Map<number, LiveSocket[]>();
  for (const a of apps) mine.set(a, []);
  const listens = new Set<string>();
  const owned: Array<{ appId: number; e: SocketEntry }> = [];
  for (const e of entries) {
    const appId = e.cgroupId === null ? undefined : appOf(e.cgroupId);
    if (appId === undefined || !mine.has(appId)) continue;
    owned.push({ appId, e });
    if (isOpenPort(e)) listens.add(`${appId}|${e.proto}|${e.localPort}`);
  }
  for (const { appId, e } of owned) {
    const listening = isOpenPort(e);
    const { cgroupId: _, ...s } = e;
    mine.get(appId)!.push({ ...s, listening, inbound: !listening && listens.has(`${appId}|${e.proto}|${e.localPort}`) });
  }
  return [...mine].map(([appId, all]) => {
    const conns = all.filter((s) => !s.listening);
    const ports = all.filter((s) => s.listening);
    conns.sort((a, b) => bytesOf(b) - bytesOf(a) || byAddress(a, b));
    ports.sort((a, b) => a.proto - b.proto || a.localPort - b.localPort || a.local.localeCompare(b.local));
    return { appId, connections: conns.length, listening: ports.length, sockets: [...conns.slice(0, LIVE_LIMITS.connections), ...ports.slice(0, LIVE_LIMITS.listening)] };
  });
}

/** One socket as the app page shows it. */
export interface LiveSocketView {
  protocol: 'tcp' | 'udp';
  state: string;
  local: string;
  localPort: number;
  remote: string;
  remotePort: number;
  /** The name the machine's DNS answers gave the remote address; null when none was seen. */
  host: string | null;
  rxBytes: number | null;
  txBytes: number | null;
  inbound: boolean;
}

/** An app's live connections as the app page gets them (GET /api/live). */
export type LiveView =
  | {
      state: 'ok';
      /** How old the snapshot is, ms (the collector takes one every LIVE_EVERY_MS while somebody looks). */
      ageMs: number;
      /** Older than LIVE_STALE_MS: the collector stopped updating it. */
      stale: boolean;
      connections: LiveSocketView[];
      listening: LiveSocketView[];
      /** How many the app had in all (the lists keep LIVE_LIMITS). */
      totalConnections: number;
      totalListening: number;
    }
  | { state: 'waiting' }
  | { state: 'unavailable'; message: string };

/** How often the collector lists sockets while somebody watches, and how long one look keeps it doing so. */
export const LIVE_EVERY_MS = 2000;
export const LIVE_HOLD_MS = 15_000;
/** A snapshot older than this is shown as stale. */
export const LIVE_STALE_MS = 10_000;

/** liveBlockParam is the rule a live connection pre-fills (as a destination row does): outbound to its remote port, or inbound to the app's own port. */
export function liveBlockParam(v: Pick<LiveSocketView, 'protocol' | 'remote' | 'remotePort' | 'localPort' | 'inbound'>): string {
  return blockParam({ remote: v.remote, proto: v.protocol === 'tcp' ? TCP : UDP, port: v.inbound ? v.localPort : v.remotePort, inbound: v.inbound });
}
