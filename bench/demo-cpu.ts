/**
 * The demo's weight (issue 16.17: ≤ 25 % of one core, so the dashboard stays snappy beside it).
 * Runs `appnet demo` (no dashboard), lets it settle, then reads /proc/<pid>/stat of every
 * process in the demo's sandbox at the start and end of a window: utime + stime plus the
 * children's (cutime + cstime) of each process alive at the end, so short runs (package
 * downloads) count through the process that waited for them. The collector (and the nft helper
 * it starts) is reported apart from the workloads. The sandbox cgroup's cpu.stat is the cross-check.
 *   node --import tsx bench/demo-cpu.ts [window seconds, default 60]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroup2Root } from '../collector/sandbox/sandbox';
import { APPNET } from '../harness/collector';

const TICK = 100; // USER_HZ on Linux
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const read = (p: string) => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return null;
  }
};

/** pidsUnder lists the processes of a cgroup subtree (host pids). */
function pidsUnder(dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string) => {
    for (const l of (read(join(d, 'cgroup.procs')) ?? '').split('\n')) if (l) out.push(Number(l));
    let kids: string[] = [];
    try {
      kids = readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return;
    }
    for (const k of kids) walk(join(d, k));
  };
  walk(dir);
  return out;
}

/** ticks is a process's own and its waited-for children's CPU, in clock ticks; role tells the collector from the rest. */
function sample(dir: string): Map<number, { ticks: number; role: 'collector' | 'workloads' }> {
  const m = new Map<number, { ticks: number; role: 'collector' | 'workloads' }>();
  for (const pid of pidsUnder(dir)) {
    const stat = read(`/proc/${pid}/stat`);
    if (!stat) continue;
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    const cmd = (read(`/proc/${pid}/cmdline`) ?? '').split('\0');
    const role = cmd.includes('collect') || /nftdump|^nft$/.test(cmd[0]?.split('/').pop() ?? '') ? 'collector' : 'workloads';
    m.set(pid, { ticks, role });
  }
  return m;
}

const usage = (dir: string) => Number(/^usage_usec (\d+)$/m.exec(read(join(dir, 'cpu.stat')) ?? '')?.[1] ?? NaN);

async function main(): Promise<void> {
  const windowS = Number(process.argv[2] ?? 60);
  const dir = mkdtempSync(join(tmpdir(), 'appnet-bench-demo-'));
  const demo = spawn(process.execPath, [APPNET, 'demo', '--db', join(dir, 'demo.db'), '--duration', String(windowS + 40)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await sleep(25_000); // sandbox, collector start, first runs
    const root = cgroup2Root();
    const sbx = readdirSync(root).find((n) => n.startsWith(`appnet-sbx-${demo.pid}-`));
    if (!sbx || !existsSync(join(root, sbx))) throw new Error('the demo\'s sandbox cgroup was not found');
    const cg = join(root, sbx);
    const a = sample(cg);
    const u0 = usage(cg);
    const t0 = performance.now();
    await sleep(windowS * 1000);
    const b = sample(cg);
    const u1 = usage(cg);
    const secs = (performance.now() - t0) / 1000;
    const pct = { collector: 0, workloads: 0 };
    for (const [pid, v] of b) pct[v.role] += v.ticks - (a.get(pid)?.ticks ?? 0);
    const share = (ticks: number) => Math.round(((ticks / TICK) / secs) * 1000) / 10;
    const result = {
      windowSeconds: Math.round(secs),
      workloadsPctOfOneCore: share(pct.workloads),
      collectorPctOfOneCore: share(pct.collector),
      sandboxCgroupPctOfOneCore: Math.round(((u1 - u0) / 1e6 / secs) * 1000) / 10,
      processesAtEnd: b.size,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    demo.kill('SIGTERM');
    await new Promise((r) => demo.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
