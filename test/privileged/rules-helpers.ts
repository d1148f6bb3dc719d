/**
 * Shared pieces of the firewall's real-kernel tests: a throw-away database, applying
 * accounting + firewall as one batch inside the sandbox (never in the host namespace),
 * and small Python servers and clients that report what actually reached a socket.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../../db/open';
import { insertRule, upsertAppPolicy } from '../../db/queries/rules';
import { accountingCommands } from '../../lib/nft/accounting';
import { cgroupLevel } from '../../lib/identity';
import { validateAppPolicy, validateRule } from '../../lib/rules/model';
import { createSandbox, type Link, type LinkOptions, type Sandbox } from '../../collector/sandbox/sandbox';
import { systemdSkeleton } from '../../collector/sandbox/workloads';
import { startCollector, tempDir, waitForPoll } from './helpers';
import { planFirewall, recordFirewallResult, storeFirewallCounters, type LiveIface } from '../../collector/rules/plan';
import { parseFirewallCounters } from '../../lib/nft/firewall-parse';
import { readTree } from '../../collector/rules/watch';

export const FIREFOX = 'user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-4711.scope';
export const POSTGRES = 'system.slice/postgresql.service';
export const NGINX = 'system.slice/nginx.service';

/** tempDb opens a migrated database in a fresh directory; close() removes it. */
export function tempDb(): { db: Db; close: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'appnet-fw-'));
  const db = openDb(join(dir, 'appnet.db'), { migrate: true });
  return { db, close: () => { db.close(); rmSync(dir, { recursive: true, force: true }); } };
}

/** addRule validates and stores a rule as the dashboard would; returns its id. */
export function addRule(db: Db, input: unknown): number {
  const v = validateRule(input);
  if (!v.ok) throw new Error(v.message);
  return insertRule(db, v.value, Math.floor(Date.now() / 1000));
}

/** setPolicy validates and stores per-app settings. */
export function setPolicy(db: Db, input: unknown): number {
  const v = validateAppPolicy(input);
  if (!v.ok) throw new Error(v.message);
  return upsertAppPolicy(db, v.value, Math.floor(Date.now() / 1000));
}

/** nft runs `nft -f -` (or other nft args) inside the sandbox's network namespace. */
export async function nft(s: Sandbox, args: string[], input?: string) {
  return s.exec(['nft', ...args], input === undefined ? {} : { input });
}

/**
 * applyAll does what the collector loop does: accounting + firewall for the live tree
 * in one atomic batch, then records the outcome. Returns nft's error text or null.
 */
export async function applyAll(s: Sandbox, db: Db, ifaces: LiveIface[], extraCgroups: string[] = []): Promise<string | null> {
  const tree = readTree(s.cgroupDir).map((e) => e.path);
  const levels = [...new Set(tree.map(cgroupLevel))];
  const cmds = [
    ...accountingCommands({ levels, elementTimeoutSec: 600 }),
    ...planFirewall(db, [...tree, ...extraCgroups], ifaces, extraCgroups.length ? {} : { cgroupRoot: s.cgroupDir }),
  ];
  const r = await nft(s, ['-f', '-'], cmds.join('\n') + '\n');
  const err = r.code === 0 ? null : r.stderr.trim() || `nft exit ${String(r.code)}`;
  recordFirewallResult(db, err === null, err);
  return err;
}

/** readCounters stores rule hits and quota use from the sandbox's table into the database. */
export async function readCounters(s: Sandbox, db: Db): Promise<void> {
  storeFirewallCounters(db, parseFirewallCounters(await s.execOk(['nft', '-j', 'list', 'table', 'inet', 'appnet'])));
}

const SERVER = String.raw`
import socket, sys, selectors
size = int(sys.argv[1]); ports = [int(p) for p in sys.argv[2:]]
sel = selectors.DefaultSelector()
for p in ports:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET6, kind)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('::', p))
        if kind == socket.SOCK_STREAM: s.listen(64)
        sel.register(s, selectors.EVENT_READ)
print('READY', flush=True)
while True:
    for k, _ in sel.select():
        s = k.fileobj
        if s.type == socket.SOCK_STREAM:
            c, a = s.accept()
            print('ACCEPT', s.getsockname()[1], a[0].replace('::ffff:', ''), flush=True)
            try:
                c.sendall(b'x' * size)
            except OSError:
                pass
            c.close()
        else:
            d, a = s.recvfrom(2048)
            print('DGRAM', s.getsockname()[1], a[0].replace('::ffff:', ''), flush=True)
            s.sendto(b'pong', a)
`;

export const CLIENT = String.raw`
import socket, sys, errno
host, port, proto, src = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
try:
    if proto == 'udp':
        s = socket.socket(fam, socket.SOCK_DGRAM); s.settimeout(1)
        if src != '-': s.bind((src, 0))
        s.sendto(b'ping', (host, port)); s.recvfrom(64); print('OK 4')
    else:
        s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(1.5)
        if src != '-': s.bind((src, 0))
        s.connect((host, port)); n = 0
        while True:
            b = s.recv(65536)
            if not b: break
            n += len(b)
        print('OK', n)
except socket.timeout:
    print('TIMEOUT', n if 'n' in dir() else 0)
except OSError as e:
    print('ERR', errno.errorcode.get(e.errno, str(e.errno)))
`;

export interface Server {
  pid: number;
  /** Stops the server and returns what reached its sockets: 'ACCEPT port addr' / 'DGRAM port addr' lines. */
  stop(): Promise<string[]>;
}

/** startServer runs a TCP+UDP server on ports in a cgroup (or in the peer namespace) that sends `size` bytes per connection. */
export async function startServer(s: Sandbox, opts: { cgroup?: string; net?: 'main' | 'peer'; ports: number[]; size?: number }): Promise<Server> {
  const r = await s.spawn(['python3', '-u', '-c', SERVER, String(opts.size ?? 3), ...opts.ports.map(String)], { cgroup: opts.cgroup, net: opts.net });
  for (let i = 0; i < 100; i++) {
    const ss = await s.exec(['ss', '-Hltn', `sport = :${opts.ports[0]}`], { net: opts.net });
    if (ss.stdout.trim()) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  return {
    pid: r.pid,
    async stop() {
      s.kill(r.pid, 'SIGTERM');
      const out = await r.done;
      return out.stdout.split('\n').filter((l) => l.startsWith('ACCEPT') || l.startsWith('DGRAM'));
    },
  };
}

/** connect runs one client: 'OK <bytes>', 'ERR ECONNREFUSED', 'ERR EPERM', 'TIMEOUT <bytes>'. */
export async function connect(s: Sandbox, opts: { host: string; port: number; proto?: 'tcp' | 'udp'; src?: string; cgroup?: string; net?: 'main' | 'peer' }): Promise<string> {
  const out = await s.execOk(['python3', '-c', CLIENT, opts.host, String(opts.port), opts.proto ?? 'tcp', opts.src ?? '-'], { cgroup: opts.cgroup, net: opts.net });
  return out.trim();
}

/** ruleset lists the sandbox's whole ruleset as text. */
export async function ruleset(s: Sandbox): Promise<string> {
  return s.execOk(['nft', 'list', 'ruleset']);
}

export interface LiveCollector {
  s: Sandbox;
  links: Link[];
  /** The store the collector writes. */
  db: string;
  close(): Promise<void>;
}

/**
 * liveCollector makes a sandbox with these links, the cgroups of a systemd host and the
 * given ones, and runs `appnet collect` in it (1 s polls) until close(); resolves after
 * its first poll.
 */
export async function liveCollector(links: LinkOptions[], cgroups: string[] = []): Promise<LiveCollector> {
  const tmp = tempDir();
  const db = join(tmp.dir, 'appnet.db');
  const s = await createSandbox();
  try {
    const made: Link[] = [];
    for (const l of links) made.push(await s.addLink(l));
    systemdSkeleton(s);
    for (const c of cgroups) s.mkCgroup(c);
    await startCollector(s, db, { interval: 1 });
    await waitForPoll(db, Date.now());
    return { s, links: made, db, close: async () => { await s.close(); tmp.remove(); } };
  } catch (err) {
    await s.close();
    tmp.remove();
    throw err;
  }
}
