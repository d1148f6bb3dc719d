/**
 * The sandbox agent runs inside fresh cgroup, mount and network namespaces that look
 * like a systemd host: cgroup2 mounted at /sys/fs/cgroup with the namespace root as
 * '/', and a peer network namespace playing "the internet". It takes JSON-line
 * requests on stdin (spawn, kill, shutdown) and answers on stdout. It is started
 * only by sandbox.ts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const CGEXEC = join(dirname(fileURLToPath(import.meta.url)), '..', 'cgexec.mjs');

interface SpawnReq {
  id: number;
  op: 'spawn';
  argv: string[];
  cgroup?: string;
  net?: 'main' | 'peer';
  env?: Record<string, string>;
  input?: string;
  wait?: boolean;
  timeoutMs?: number;
}
type Req = SpawnReq | { id: number; op: 'kill'; pid: number; signal?: NodeJS.Signals } | { id: number; op: 'shutdown' };

const children = new Map<number, ChildProcess>();
const send = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');

function must(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error?.message}`);
}

// A sysfs of our own shows this network namespace's interfaces under /sys/class/net;
// cgroup2 then goes on top of it at the usual place.
must('mount', ['-t', 'sysfs', 'none', '/sys']);
must('mount', ['-t', 'cgroup2', 'none', '/sys/fs/cgroup']);
// A BPF filesystem of its own, as systemd mounts one at boot: the collector's pins stay inside
// (and go with the sandbox). Left out to stand for a host without one.
if (process.env.APPNET_SANDBOX_BPFFS !== '0') must('mount', ['-t', 'bpf', 'bpf', '/sys/fs/bpf']);
// A /run of its own, as a fresh host has: runtime state of the collector stays inside.
must('mount', ['-t', 'tmpfs', '-o', 'mode=0755', 'none', '/run']);
must('ip', ['link', 'set', 'lo', 'up']);
const peer = spawn('unshare', ['-n', '--', 'sleep', 'infinity'], { stdio: 'ignore' });
const peerPid = peer.pid as number;
// Wait until the peer really has its own network namespace.
for (let i = 0; i < 200; i++) {
  const a = spawnSync('readlink', [`/proc/${peerPid}/ns/net`], { encoding: 'utf8' }).stdout;
  const b = spawnSync('readlink', ['/proc/self/ns/net'], { encoding: 'utf8' }).stdout;
  if (a && a !== b) break;
  spawnSync('sleep', ['0.01']);
}
must('nsenter', ['-t', String(peerPid), '-n', '--', 'ip', 'link', 'set', 'lo', 'up']);

function handleSpawn(r: SpawnReq): void {
  let argv = r.argv;
  if (r.net === 'peer') argv = ['nsenter', '-t', String(peerPid), '-n', '--', ...argv];
  if (r.cgroup) argv = [process.execPath, CGEXEC, join('/sys/fs/cgroup', r.cgroup, 'cgroup.procs'), ...argv];
  // Its own process group, so a timeout ends the command and everything it started
  // (cgexec's child included), not just the first process.
  const child = spawn(argv[0], argv.slice(1), {
    env: { ...process.env, ...(r.env ?? {}) },
    stdio: [r.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const cap = (arr: Buffer[], b: Buffer) => {
    if (arr.reduce((n, x) => n + x.length, 0) < 4 << 20) arr.push(b);
  };
  child.stdout?.on('data', (b: Buffer) => cap(out, b));
  child.stderr?.on('data', (b: Buffer) => cap(err, b));
  if (r.input !== undefined) child.stdin?.end(r.input);
  let timer: NodeJS.Timeout | undefined;
  if (r.timeoutMs) timer = setTimeout(() => killGroup(child, 'SIGKILL'), r.timeoutMs);
  child.on('error', (e) => send({ id: r.id, error: `${argv[0]}: ${e.message}` }));
  child.on('spawn', () => {
    children.set(child.pid as number, child);
    send({ id: r.id, pid: child.pid });
  });
  child.on('close', (code, signal) => {
    if (timer) clearTimeout(timer);
    children.delete(child.pid as number);
    send({ id: r.id, done: true, pid: child.pid, code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
  });
}

function killGroup(c: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (c.pid) process.kill(-c.pid, signal);
  } catch {
    c.kill(signal);
  }
}

function shutdown(): void {
  for (const c of children.values()) killGroup(c, 'SIGKILL');
  peer.kill('SIGKILL');
  process.exit(0);
}

send({ ready: true, peerPid, pid: process.pid });
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let r: Req;
  try {
    r = JSON.parse(line) as Req;
  } catch {
    return;
  }
  if (r.op === 'spawn') handleSpawn(r);
  else if (r.op === 'kill') {
    try {
      process.kill(r.pid, r.signal ?? 'SIGTERM');
      send({ id: r.id, ok: true });
    } catch (e) {
      send({ id: r.id, ok: false, error: (e as Error).message });
    }
  } else if (r.op === 'shutdown') shutdown();
});
rl.on('close', shutdown);
process.on('SIGTERM', shutdown);
