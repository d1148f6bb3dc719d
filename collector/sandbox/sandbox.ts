/**
 * A throw-away host that looks like a systemd machine, for tests, the demo and the
 * benchmarks: a fresh child of the host's cgroup2 tree becomes the root of a new
 * cgroup namespace, with its own mount and network namespaces and a peer namespace
 * on the far side of veth links named like real interfaces. Nothing of the host's
 * own network namespace, ruleset, processes or cgroups is touched; close() removes
 * everything, and a sandbox left by a crashed run is removed by the next one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const PREFIX = 'appnet-sbx-';

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface SpawnOptions {
  /** Cgroup path inside the sandbox ('system.slice/nginx.service'); created if missing. */
  cgroup?: string;
  /** Run in the sandbox's own network namespace (default) or in the peer's. */
  net?: 'main' | 'peer';
  env?: Record<string, string>;
  input?: string;
  timeoutMs?: number;
}

export interface Running {
  pid: number;
  /** Resolves when the process ends, with its output. */
  done: Promise<ExecResult>;
}

export interface LinkOptions {
  /** Interface name on the sandbox side, e.g. 'wwan0'. */
  name: string;
  /** Third octet / hextet used for the link's addresses: 10.200.N.1 ↔ 10.200.N.2, fd00:200:N::1 ↔ ::2. */
  subnet: number;
}

export interface Link {
  name: string;
  peerName: string;
  v4: string;
  peerV4: string;
  v6: string;
  peerV6: string;
}

/** cgroup2Root finds the host's cgroup v2 mount (hybrid layouts keep it at /sys/fs/cgroup/unified). */
export function cgroup2Root(): string {
  for (const p of ['/sys/fs/cgroup/unified', '/sys/fs/cgroup']) if (existsSync(join(p, 'cgroup.procs')) && existsSync(join(p, 'cgroup.controllers'))) return p;
  throw new Error('no cgroup v2 hierarchy found under /sys/fs/cgroup');
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** removeCgroupTree kills every process in a cgroup subtree we own and removes its directories. */
export function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  try {
    writeFileSync(join(dir, 'cgroup.kill'), '1');
  } catch {
    /* older kernels: fall through, rmdir below reports what is left */
  }
  for (let i = 0; i < 100; i++) {
    const populated = /populated 1/.test(readFileSync(join(dir, 'cgroup.events'), 'utf8'));
    if (!populated) break;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  const rm = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) rm(join(d, e.name));
    rmdirSync(d);
  };
  rm(dir);
}

/** removeStaleSandboxes removes sandboxes whose creating process is gone (a crashed earlier run). */
export function removeStaleSandboxes(root = cgroup2Root()): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(root)) {
    const m = new RegExp(`^${PREFIX}(\\d+)-`).exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    removeCgroupTree(join(root, name));
    removed.push(name);
  }
  return removed;
}

let counter = 0;

/** Sandbox is one running sandbox; see createSandbox. */
export class Sandbox {
  private nextId = 1;
  private pending = new Map<number, { onPid: (pid: number) => void; onDone: (r: ExecResult) => void; onError: (e: Error) => void }>();
  private closed = false;
  readonly links: Link[] = [];

  constructor(
    /** Host path of the sandbox's cgroup root. */
    readonly cgroupDir: string,
    private readonly agent: ChildProcess,
    /** Pid of the process holding the peer network namespace. */
    readonly peerPid: number,
    /** Pid of the agent, inside the sandbox's namespaces (usable with nsenter -t). */
    readonly agentPid: number,
  ) {
    const rl = createInterface({ input: agent.stdout! });
    rl.on('line', (line) => this.onLine(line));
  }

  private onLine(line: string): void {
    let msg: { id?: number; pid?: number; done?: boolean; error?: string } & Partial<ExecResult>;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    const p = msg.id !== undefined ? this.pending.get(msg.id) : undefined;
    if (!p) return;
    if (msg.error) {
      p.onError(new Error(msg.error));
      this.pending.delete(msg.id!);
    } else if (msg.done) {
      p.onDone({ code: msg.code ?? null, signal: msg.signal ?? null, stdout: msg.stdout ?? '', stderr: msg.stderr ?? '' });
      this.pending.delete(msg.id!);
    } else if (msg.pid) p.onPid(msg.pid);
  }

  /** mkCgroup creates a cgroup (and its parents) inside the sandbox; returns its host path. */
  mkCgroup(path: string): string {
    const dir = join(this.cgroupDir, path);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** cgroupPath is the host path of a sandbox cgroup, for reading cgroup.procs and the like. */
  cgroupPath(path: string): string {
    return join(this.cgroupDir, path);
  }

  /** spawn starts a process in the sandbox and returns its pid (as seen inside) and a promise of its end. */
  spawn(argv: string[], opts: SpawnOptions = {}): Promise<Running> {
    if (this.closed) return Promise.reject(new Error('sandbox is closed'));
    if (opts.cgroup) this.mkCgroup(opts.cgroup);
    const id = this.nextId++;
    let resolveDone!: (r: ExecResult) => void;
    let rejectDone!: (e: Error) => void;
    const done = new Promise<ExecResult>((res, rej) => {
      resolveDone = res;
      rejectDone = rej;
    });
    done.catch(() => undefined);
    return new Promise<Running>((resolve, reject) => {
      this.pending.set(id, {
        onPid: (pid) => resolve({ pid, done }),
        onDone: resolveDone,
        onError: (e) => {
          reject(e);
          rejectDone(e);
        },
      });
      this.agent.stdin!.write(JSON.stringify({ id, op: 'spawn', argv, cgroup: opts.cgroup, net: opts.net, env: opts.env, input: opts.input, timeoutMs: opts.timeoutMs }) + '\n');
    });
  }

  /** exec runs a command to completion inside the sandbox. */
  async exec(argv: string[], opts: SpawnOptions = {}): Promise<ExecResult> {
    const r = await this.spawn(argv, { timeoutMs: 120_000, ...opts });
    return r.done;
  }

  /** execOk runs a command and throws with its stderr if it fails. */
  async execOk(argv: string[], opts: SpawnOptions = {}): Promise<string> {
    const r = await this.exec(argv, opts);
    if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (${r.code ?? r.signal}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** kill signals a process started with spawn. */
  kill(pid: number, signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.closed) return;
    this.agent.stdin!.write(JSON.stringify({ id: this.nextId++, op: 'kill', pid, signal }) + '\n');
  }

  /** addLink creates a veth pair: `name` in the sandbox, its twin in the peer namespace, IPv4 and IPv6 addressed. */
  async addLink(opts: LinkOptions): Promise<Link> {
    const n = opts.subnet;
    const link: Link = {
      name: opts.name,
      peerName: `p${n}`,
      v4: `10.200.${n}.1`,
      peerV4: `10.200.${n}.2`,
      v6: `fd00:200:${n}::1`,
      peerV6: `fd00:200:${n}::2`,
    };
    await this.execOk(['ip', 'link', 'add', link.name, 'type', 'veth', 'peer', 'name', link.peerName, 'netns', String(this.peerPid)]);
    await this.execOk(['ip', 'addr', 'add', `${link.v4}/24`, 'dev', link.name]);
    await this.execOk(['ip', '-6', 'addr', 'add', `${link.v6}/64`, 'dev', link.name, 'nodad']);
    await this.execOk(['ip', 'link', 'set', link.name, 'up']);
    await this.execOk(['ip', 'addr', 'add', `${link.peerV4}/24`, 'dev', link.peerName], { net: 'peer' });
    await this.execOk(['ip', '-6', 'addr', 'add', `${link.peerV6}/64`, 'dev', link.peerName, 'nodad'], { net: 'peer' });
    await this.execOk(['ip', 'link', 'set', link.peerName, 'up'], { net: 'peer' });
    this.links.push(link);
    return link;
  }

  /** close ends every process in the sandbox and removes its cgroups; namespaces go with their last process. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.agent.stdin!.write(JSON.stringify({ id: 0, op: 'shutdown' }) + '\n');
    } catch {
      /* agent already gone */
    }
    await new Promise<void>((res) => {
      if (this.agent.exitCode !== null || this.agent.signalCode !== null) return res();
      const t = setTimeout(res, 3000);
      this.agent.once('exit', () => {
        clearTimeout(t);
        res();
      });
    });
    removeCgroupTree(this.cgroupDir);
  }
}

/**
 * createSandbox starts a sandbox. Needs root. It has a BPF filesystem of its own at /sys/fs/bpf
 * unless `bpffs: false` (a host without one). Always pair it with close() in a
 * finally block; signals and crashes are covered by removeStaleSandboxes.
 */
export async function createSandbox(opts: { bpffs?: boolean } = {}): Promise<Sandbox> {
  if (process.getuid?.() !== 0) throw new Error('the sandbox needs root (cgroup, mount and network namespaces)');
  const root = cgroup2Root();
  removeStaleSandboxes(root);
  const dir = join(root, `${PREFIX}${process.pid}-${Date.now().toString(36)}${counter++}`);
  mkdirSync(dir);
  const cgexec = join(ROOT, 'collector', 'cgexec.mjs');
  const agentPath = join(HERE, 'agent.ts');
  const agent = spawn(
    process.execPath,
    [cgexec, join(dir, 'cgroup.procs'), 'unshare', '-C', '-m', '-n', '--propagation', 'private', '--', process.execPath, '--import', 'tsx', agentPath],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, APPNET_SANDBOX_BPFFS: opts.bpffs === false ? '0' : '1' } },
  );
  const ready = await new Promise<{ peerPid: number; pid: number }>((resolve, reject) => {
    const rl = createInterface({ input: agent.stdout! });
    const t = setTimeout(() => reject(new Error('sandbox agent did not start within 20 s')), 20_000);
    rl.once('line', (line) => {
      clearTimeout(t);
      rl.close();
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`sandbox agent said: ${line}`));
      }
    });
    agent.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`sandbox agent exited (${code}) before it was ready`));
    });
  }).catch((err: Error) => {
    agent.kill('SIGKILL');
    removeCgroupTree(dir);
    throw err;
  });
  return new Sandbox(dir, agent, ready.peerPid, ready.pid);
}

/** withSandbox runs fn with a fresh sandbox and always removes it afterwards. */
export async function withSandbox<T>(fn: (s: Sandbox) => Promise<T>): Promise<T> {
  const s = await createSandbox();
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}
