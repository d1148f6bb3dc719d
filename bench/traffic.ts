/**
 * Traffic generators for the packet-path benchmarks, always run inside a sandbox: the
 * app side in a sandbox cgroup (so `socket cgroupv2` lookups really happen), the far
 * side in the peer namespace. Nothing here touches the host's network namespace.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Link, Running, Sandbox } from '../collector/sandbox/sandbox';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Where bench tools are built (gitignored scratch). */
export const OUT_DIR = join(HERE, 'out');
const SRC = join(HERE, 'tools', 'netbench.c');
const BIN = join(OUT_DIR, 'netbench');

/** APP_CGROUP is where the measured application runs: a service, like most daemons (level 2). */
export const APP_CGROUP = 'system.slice/bench.service';

/** Direction of a test, seen from the app in the sandbox. */
export type Direction = 'egress' | 'ingress';

/** buildTool runs `argv` (a compiler making `out` in OUT_DIR from `src`) unless `out` is newer than `src`; returns `out`. */
export function buildTool(src: string, out: string, argv: string[]): string {
  mkdirSync(OUT_DIR, { recursive: true });
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) execFileSync(argv[0], argv.slice(1), { stdio: 'pipe' });
  return out;
}

/** buildNetbench compiles bench/tools/netbench.c once (needs a C compiler) and returns its path. */
export function buildNetbench(): string {
  try {
    buildTool(SRC, BIN, ['cc', '-O2', '-Wall', '-o', BIN, SRC]);
  } catch (err) {
    throw new Error(`cannot build bench/tools/netbench.c (install gcc / build-essential): ${err instanceof Error ? err.message : String(err)}`);
  }
  return BIN;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function lastJson<T>(what: string, stdout: string): T {
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`${what}: no JSON result in output ${JSON.stringify(stdout.slice(-300))}`);
  }
}

interface Side {
  net: 'main' | 'peer';
  cgroup: string;
}

/**
 * Sides of a test: which end runs where for a direction. Every process gets a cgroup,
 * peer-side ones too (they are in the peer's network namespace, where no ruleset
 * exists), so the CPU each side spends is read from its cgroup's cpu.stat.
 */
function sides(link: Link, dir: Direction): { sender: Side; receiver: Side; servers: Side; receiverAddr: string } {
  return dir === 'egress'
    ? { sender: { net: 'main', cgroup: APP_CGROUP }, receiver: { net: 'peer', cgroup: 'peer.slice/udp-rx.service' }, servers: { net: 'peer', cgroup: 'peer.slice/servers.service' }, receiverAddr: link.peerV4 }
    : { sender: { net: 'peer', cgroup: 'peer.slice/udp-tx.service' }, receiver: { net: 'main', cgroup: 'system.slice/bench-rx.service' }, servers: { net: 'main', cgroup: 'system.slice/bench-server.service' }, receiverAddr: link.v4 };
}

/**
 * Traffic processes run SCHED_FIFO, sender and receiver pinned to different CPUs: the
 * machine is shared with concurrent builds, and real-time priority keeps their noise
 * out of the figures (the kernel's RT throttling still leaves others 5 %).
 */
function realtime(argv: string[], cpu = 0): string[] {
  return ['chrt', '-f', '50', 'taskset', '-c', String(cpu), ...argv];
}

/**
 * waitListening polls `ss` on one side until a socket listens on `port`: under load a
 * process can take far longer than any fixed sleep to bind.
 */
async function waitListening(s: Sandbox, side: Side, proto: 'udp' | 'tcp', port: number | string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await s.exec(['ss', '-Hln', proto === 'udp' ? '-u' : '-t', `sport = :${port}`], { net: side.net });
    if (r.stdout.trim()) return;
    await sleep(50);
  }
  throw new Error(`nothing listens on ${proto} port ${port} (${side.net} side) after 5 s`);
}

/** cpuUsec reads the CPU time (user + system, softirq done inline included) a sandbox cgroup has used. */
export function cpuUsec(s: Sandbox, cgroup: string): number {
  const m = /^usage_usec (\d+)$/m.exec(readFileSync(join(s.cgroupPath(cgroup), 'cpu.stat'), 'utf8'));
  return m ? Number(m[1]) : 0;
}

export interface UdpResult {
  /** Datagrams per second counted by the receiving socket. */
  pps: number;
  sent: number;
  received: number;
  /** CPU time of sender and receiver (with the kernel work done on their behalf) per received packet. */
  cpuNsPerPacket: number;
}

/** udpPps blasts `len`-byte UDP datagrams for `secs` and returns the receiver-side rate. */
export async function udpPps(s: Sandbox, link: Link, dir: Direction, opts: { secs: number; len: number; port?: number; realtime?: boolean }): Promise<UdpResult> {
  const bin = buildNetbench();
  const port = String(opts.port ?? 9001);
  const sd = sides(link, dir);
  s.mkCgroup(sd.sender.cgroup);
  s.mkCgroup(sd.receiver.cgroup);
  const cpu0 = cpuUsec(s, sd.sender.cgroup) + cpuUsec(s, sd.receiver.cgroup);
  const rt = opts.realtime === false ? (argv: string[]) => argv : realtime;
  const rx = await s.spawn(rt([bin, 'udp-recv', port, String(opts.secs + 5)], 1), { ...sd.receiver, timeoutMs: (opts.secs + 10) * 1000 });
  await waitListening(s, sd.receiver, 'udp', port);
  const tx = await s.execOk(rt([bin, 'udp-send', sd.receiverAddr, port, String(opts.secs), String(opts.len)], 0), { ...sd.sender, timeoutMs: (opts.secs + 10) * 1000 });
  const r = await rx.done;
  if (r.code !== 0) throw new Error(`udp-recv failed (${r.code ?? r.signal}): ${r.stderr.trim()}`);
  const cpu = cpuUsec(s, sd.sender.cgroup) + cpuUsec(s, sd.receiver.cgroup) - cpu0;
  const got = lastJson<{ packets: number; seconds: number }>('udp-recv', r.stdout);
  const sent = lastJson<{ packets: number }>('udp-send', tx);
  return { pps: got.seconds > 0 ? got.packets / got.seconds : 0, sent: sent.packets, received: got.packets, cpuNsPerPacket: got.packets ? (cpu * 1000) / got.packets : NaN };
}

/** A long-running server started for a group of trials; stop() ends it. */
export interface Server {
  stop(): Promise<void>;
}

/**
 * startTcpServers starts the iperf3 and ping-pong servers on the receiving side of
 * `dir`, in a cgroup of their own so stop() can end them (and any child) at once.
 */
export async function startTcpServers(s: Sandbox, link: Link, dir: Direction, ports: { iperf: number; rr: number }, opts: { realtime?: boolean } = {}): Promise<Server> {
  const sd = sides(link, dir).servers;
  const rt = opts.realtime === false ? (argv: string[]) => argv : realtime;
  const running: Running[] = [];
  running.push(await s.spawn(rt(['iperf3', '-s', '-p', String(ports.iperf)], 1), sd));
  running.push(await s.spawn(rt([buildNetbench(), 'rr-server', String(ports.rr)], 1), sd));
  await waitListening(s, sd, 'tcp', ports.iperf);
  await waitListening(s, sd, 'tcp', ports.rr);
  return {
    async stop() {
      try {
        writeFileSync(join(s.cgroupPath(sd.cgroup), 'cgroup.kill'), '1');
      } catch {
        for (const r of running) s.kill(r.pid, 'SIGTERM');
      }
      await Promise.race([Promise.all(running.map((r) => r.done.catch(() => undefined))), sleep(3000)]);
    },
  };
}

/** tcpThroughput runs one bulk iperf3 TCP stream for `secs`; returns receiver-side bits per second. */
export async function tcpThroughput(s: Sandbox, link: Link, dir: Direction, opts: { secs: number; port: number }): Promise<number> {
  const sd = sides(link, dir);
  // iperf3 reads -t as whole seconds, and -t 0 means "forever".
  const secs = Math.max(1, Math.round(opts.secs));
  const out = await s.execOk(realtime(['iperf3', '-c', sd.receiverAddr, '-p', String(opts.port), '-t', String(secs), '-J'], 0), { ...sd.sender, timeoutMs: (opts.secs + 15) * 1000 });
  const j = JSON.parse(out) as { end?: { sum_received?: { bits_per_second?: number } } };
  const bps = j.end?.sum_received?.bits_per_second;
  if (typeof bps !== 'number') throw new Error(`iperf3: no sum_received in ${out.slice(0, 200)}`);
  return bps;
}

export interface RrResult {
  n: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
}

/** tcpRr runs 1-byte TCP request/response ping-pong for `secs`; returns round-trip percentiles. */
export async function tcpRr(s: Sandbox, link: Link, dir: Direction, opts: { secs: number; port: number }): Promise<RrResult> {
  const sd = sides(link, dir);
  const out = await s.execOk(realtime([buildNetbench(), 'rr-client', sd.receiverAddr, String(opts.port), String(opts.secs)], 0), { ...sd.sender, timeoutMs: (opts.secs + 15) * 1000 });
  const j = lastJson<{ n: number; p50_us: number; p99_us: number; mean_us: number }>('rr-client', out);
  return { n: j.n, p50Us: j.p50_us, p99Us: j.p99_us, meanUs: j.mean_us };
}
