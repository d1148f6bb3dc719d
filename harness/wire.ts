/**
 * What the link carries, as a carrier bills it: a sandbox veth set up like a real NIC and
 * per-segment ground truth from the far end.
 *
 * On the sandbox side the link is set up as `ethtool -K <veth> tso off gro on`: the sandbox
 * stack still builds GSO packets (up to 64 KB, one set of headers), the device segments them
 * on the way out, so the link carries MSS-sized segments, and arriving segments are merged by
 * GRO before the stack (and netfilter) sees them — what every laptop and server does. The
 * peer end is set up as `tso off gso off gro off`: what arrives there reaches its stack one
 * segment at a time. Its own TCP still hands netfilter 64 KB packets on the way out (the
 * kernel always builds GSO packets and segments them in software before the driver), so
 * the far end's per-segment truth is its interface's statistics: one frame per segment
 * (`ipOnWire` takes the link-layer header off where they hold it). Its netfilter counters
 * (`farEndIp`) are exact for everything that is not bulk TCP sent by the peer.
 */
import { join } from 'node:path';
import type { Link, Sandbox } from '../collector/sandbox/sandbox';

const node = process.execPath;
const TRAFFIC = join(import.meta.dirname, '..', 'collector', 'sandbox', 'traffic.mjs');
const SENDFILE = join(import.meta.dirname, 'sendfile.py');

/** Table and chain names of the truth counters in the peer namespace. */
const TRUTH_TABLE = 'wiretruth';

/** nicLike sets a sandbox link up like a NIC (see the file comment) and installs the far end's per-segment counters. */
export async function nicLike(s: Sandbox, link: Link): Promise<void> {
  await s.execOk(['ethtool', '-K', link.name, 'tso', 'off', 'gro', 'on']);
  await s.execOk(['ethtool', '-K', link.peerName, 'tso', 'off', 'gso', 'off', 'gro', 'off'], { net: 'peer' });
  const rules = [
    `table inet ${TRUTH_TABLE} {`,
    `  chain in { type filter hook input priority -500; policy accept; iifname "${link.peerName}" counter comment "in"; }`,
    `  chain out { type filter hook output priority 500; policy accept; oifname "${link.peerName}" counter comment "out"; }`,
    '}',
    '',
  ];
  await s.execOk(['nft', '-f', '-'], { net: 'peer', input: rules.join('\n') });
}

/** What crossed the link, from the sandbox's point of view: rx arrived in the sandbox, tx left it. */
export interface WireCount {
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
}

/**
 * farEndIp reads the peer's per-segment counters: IP bytes (headers of every segment included,
 * no link-layer framing) and IP packets, as the sandbox sees the directions.
 */
export async function farEndIp(s: Sandbox): Promise<WireCount> {
  const out = JSON.parse(await s.execOk(['nft', '-j', 'list', 'table', 'inet', TRUTH_TABLE], { net: 'peer' })) as {
    nftables: Array<{ rule?: { comment?: string; expr?: Array<{ counter?: { bytes: number; packets: number } }> } }>;
  };
  const c = new Map<string, { bytes: number; packets: number }>();
  for (const item of out.nftables) {
    const r = item.rule;
    const counter = r?.expr?.find((e) => e.counter)?.counter;
    if (r?.comment && counter) c.set(r.comment, counter);
  }
  const peerIn = c.get('in') ?? { bytes: 0, packets: 0 };
  const peerOut = c.get('out') ?? { bytes: 0, packets: 0 };
  return { rxBytes: peerOut.bytes, rxPackets: peerOut.packets, txBytes: peerIn.bytes, txPackets: peerIn.packets };
}

/**
 * farEndInterface reads the peer veth's own statistics (ARP and neighbour discovery included),
 * as the sandbox sees the directions. What the peer received holds every frame's Ethernet
 * header. What it sent does not: with GRO on at the sandbox end, a veth hands its frames to
 * that end's NAPI ring, and the sender's transmit statistics are that ring's count, taken
 * after the Ethernet header came off (drivers/net/veth.c, veth_xdp_rcv and veth_get_stats64).
 */
export async function farEndInterface(s: Sandbox, link: Link): Promise<WireCount> {
  // The sandbox's sysfs shows its own namespace, not the peer's: ask the peer's netlink instead.
  const out = JSON.parse(await s.execOk(['ip', '-j', '-s', 'link', 'show', 'dev', link.peerName], { net: 'peer' })) as Array<{
    stats64: { rx: { bytes: number; packets: number }; tx: { bytes: number; packets: number } };
  }>;
  const st = out[0].stats64;
  return { rxBytes: st.tx.bytes, rxPackets: st.tx.packets, txBytes: st.rx.bytes, txPackets: st.rx.packets };
}

/** ETHERNET_HEADER is the link-layer header a veth (and an Ethernet or Wi-Fi NIC's statistics) counts per frame. */
export const ETHERNET_HEADER = 14;

/**
 * ipOnWire turns the far end's statistics (farEndInterface) into the IP bytes that crossed the
 * link: what the sandbox sent less every frame's Ethernet header; what it received is counted
 * without one already. ARP frames (a handful a minute) are left in.
 */
export function ipOnWire(iface: WireCount): WireCount {
  return {
    rxBytes: iface.rxBytes,
    txBytes: iface.txBytes - ETHERNET_HEADER * iface.txPackets,
    rxPackets: iface.rxPackets,
    txPackets: iface.txPackets,
  };
}

/** minus subtracts two readings field by field. */
export function minus(a: WireCount, b: WireCount): WireCount {
  return { rxBytes: a.rxBytes - b.rxBytes, txBytes: a.txBytes - b.txBytes, rxPackets: a.rxPackets - b.rxPackets, txPackets: a.txPackets - b.txPackets };
}

/** One kind of traffic the wire tests run between an app in the sandbox and the peer. */
export interface WireTraffic {
  name: string;
  /** Which direction carries the payload (a download arrives: rx). */
  payload: 'rx' | 'tx';
  /** Bulk TCP is segmented on the wire; small packets are not. */
  bulk: boolean;
  /** Runs the traffic to its end; `port` is free for it on the peer. */
  run(s: Sandbox, link: Link, opts: { cgroup: string; port: number; scratch: string }): Promise<void>;
}

const MB = 1_000_000;

async function serve(s: Sandbox, argv: string[]): Promise<number> {
  const r = await s.spawn(argv, { net: 'peer' });
  for (let i = 0; i < 100; i++) {
    const out = await s.execOk(['ss', argv[2] === 'serve-udp' ? '-lunH' : '-ltnH'], { net: 'peer' });
    if (out.includes(`:${argv[4]} `)) return r.pid;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`the peer's server on port ${argv[4]} did not start listening within 10 s`);
}

function tcpDownload(name: string, family: 'v4' | 'v6', bytes: number): WireTraffic {
  return {
    name,
    payload: 'rx',
    bulk: true,
    async run(s, link, { cgroup, port }) {
      const host = family === 'v4' ? link.peerV4 : link.peerV6;
      const pid = await serve(s, [node, TRAFFIC, 'serve-tcp', host, String(port), `source:${bytes}`]);
      await s.execOk([node, TRAFFIC, 'tcp-recv', host, String(port)], { cgroup });
      s.kill(pid);
    },
  };
}

function tcpUpload(name: string, family: 'v4' | 'v6', bytes: number): WireTraffic {
  return {
    name,
    payload: 'tx',
    bulk: true,
    async run(s, link, { cgroup, port }) {
      const host = family === 'v4' ? link.peerV4 : link.peerV6;
      const pid = await serve(s, [node, TRAFFIC, 'serve-tcp', host, String(port), 'sink']);
      await s.execOk([node, TRAFFIC, 'tcp-send', host, String(port), String(bytes)], { cgroup });
      s.kill(pid);
    },
  };
}

/** The bulk transfers of issue #20's table: TCP down and up over IPv4 and IPv6, and a sendfile upload. */
export const BULK: WireTraffic[] = [
  tcpDownload('TCP download 20 MB (IPv4)', 'v4', 20 * MB),
  tcpUpload('TCP upload 20 MB (IPv4)', 'v4', 20 * MB),
  tcpUpload('TCP upload 10 MB (IPv6)', 'v6', 10 * MB),
  tcpDownload('TCP download 10 MB (IPv6)', 'v6', 10 * MB),
  {
    name: 'sendfile upload 10 MB (IPv4)',
    payload: 'tx',
    bulk: true,
    async run(s, link, { cgroup, port, scratch }) {
      const pid = await serve(s, [node, TRAFFIC, 'serve-tcp', link.peerV4, String(port), 'sink']);
      await s.execOk(['python3', SENDFILE, link.peerV4, String(port), join(scratch, 'sendfile.bin'), String(10 * MB)], { cgroup });
      s.kill(pid);
    },
  },
];

/** Small packets, which no offload touches: UDP datagrams, ICMP echo, TCP SYNs answered by a reset. */
export const SMALL: WireTraffic[] = [
  {
    name: 'UDP 1,000 datagrams of 100 bytes',
    payload: 'tx',
    bulk: false,
    async run(s, link, { cgroup, port }) {
      const pid = await serve(s, [node, TRAFFIC, 'serve-udp', link.peerV4, String(port)]);
      await s.execOk([node, TRAFFIC, 'udp-send', link.peerV4, String(port), '1000', '100'], { cgroup });
      s.kill(pid);
    },
  },
  {
    name: 'ICMP echo, 200 pings (IPv4 and IPv6)',
    payload: 'tx',
    bulk: false,
    async run(s, link, { cgroup }) {
      await s.execOk(['ping', '-q', '-n', '-c', '100', '-i', '0.002', link.peerV4], { cgroup });
      await s.execOk(['ping', '-q', '-n', '-c', '100', '-i', '0.002', link.peerV6], { cgroup });
    },
  },
  {
    name: 'TCP SYNs to a closed port, 100 attempts',
    payload: 'tx',
    bulk: false,
    async run(s, link, { cgroup, port }) {
      await s.execOk(['python3', '-c', SYNS, link.peerV4, String(port), '100'], { cgroup });
    },
  },
];

// Connects COUNT times to a port nothing listens on: one SYN out, one RST back each.
const SYNS = `
import socket, sys
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for _ in range(n):
    s = socket.socket()
    try:
        s.connect((host, port))
    except ConnectionRefusedError:
        pass
    s.close()
`;
