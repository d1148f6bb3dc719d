/**
 * Startup: how long the command line takes to start, do its job and exit, next to `node -e 0`
 * on the same machine (the floor no Node program goes under), and how long the collector
 * takes from its spawn to its first committed poll. Hyperfine-style: every round runs every
 * command once, in an order rotated per round, each ratio is taken within its round, and the
 * figures are medians over rounds.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Sandbox } from '../collector/sandbox/sandbox';
import { systemdSkeleton } from '../collector/sandbox/workloads';
import { APPNET } from '../harness/collector';
import { buildHistory } from './history';
import { pairedRatios, summarize, type RatioSummary, type Summary } from './stats';

const ROOT = join(import.meta.dirname, '..');

export interface StartupCommand {
  name: string;
  argv: string[];
  wallMs: Summary;
  /** Wall time ÷ `node -e 0` in the same round; null for the baseline. */
  ratio: RatioSummary | null;
  /** What the 3× goal says about it; null where no goal applies. */
  goal: number | null;
}

export interface FirstPoll {
  name: string;
  ms: Summary;
}

export interface StartupResult {
  rounds: number;
  commands: StartupCommand[];
  firstPollReps: number;
  firstPoll: FirstPoll[];
}

/** The bound for the commands people type: within 3× of Node starting and doing nothing. */
const GOAL = 3;

function wallMs(argv: string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`node ${argv.join(' ')} exited with ${r.status}: ${r.stderr.toString().slice(0, 500)}`);
  if (r.stderr.length > 0 && argv[0] === APPNET) throw new Error(`node ${argv.join(' ')} printed: ${r.stderr.toString().slice(0, 500)}`);
  return ms;
}

/** benchCommands alternates the commands over `rounds` rounds and sets each against `node -e 0`. */
export function benchCommands(opts: { rounds: number; log: (l: string) => void }): StartupCommand[] {
  const dir = mkdtempSync(join(tmpdir(), 'appnet-startup-'));
  try {
    const db = join(dir, 'store.db');
    buildHistory(db, { apps: 50, networks: 2, days: 2, activeHourShare: 0.5 }, Math.floor(Date.now() / 1000)).db.close();
    const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };
    const cmds = [
      { name: 'node -e 0', argv: ['-e', '0'], goal: null },
      { name: 'appnet --help', argv: [APPNET, '--help'], goal: GOAL },
      { name: 'appnet top', argv: [APPNET, 'top', '--db', db], goal: GOAL },
      { name: 'appnet serve --help', argv: [APPNET, 'serve', '--help'], goal: null },
      { name: 'appnet --help through tsx (before: no compiled build)', argv: ['--import', 'tsx', join(ROOT, 'collector', 'cli.ts'), '--help'], goal: null },
    ];
    const samples = cmds.map(() => [] as number[]);
    for (const c of cmds) wallMs(c.argv, env); // warm the page cache once
    for (let r = 0; r < opts.rounds; r++) {
      for (let k = 0; k < cmds.length; k++) {
        const i = (k + r) % cmds.length;
        samples[i].push(wallMs(cmds[i].argv, env));
      }
    }
    opts.log(`   startup: ${cmds.map((c, i) => `${c.name} ${summarize(samples[i]).median.toFixed(0)} ms`).join(', ')}`);
    return cmds.map((c, i) => ({ name: c.name, argv: c.argv.map((a) => a.replace(ROOT, '.').replace(dir, '$TMP')), wallMs: summarize(samples[i]), ratio: i === 0 ? null : pairedRatios(samples[0], samples[i]), goal: c.goal }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** polledSince tells whether the store holds a successful poll that started after `since` (unix ms). */
function polledSince(db: string, since: number): boolean {
  if (!existsSync(db)) return false;
  try {
    const d = new Database(db, { readonly: true });
    try {
      return Boolean(d.prepare("SELECT 1 FROM collector_status WHERE source = 'poll' AND ok = 1 AND last_run > ?").get(since));
    } finally {
      d.close();
    }
  } catch {
    return false; // not created or not migrated yet
  }
}

/** timeToFirstPoll spawns the collector in the sandbox and returns ms from spawn to its first committed poll. */
async function timeToFirstPoll(s: Sandbox, argv: string[], db: string): Promise<number> {
  const since = Date.now();
  const t0 = performance.now();
  const proc = await s.spawn([process.execPath, ...argv, 'collect', '--db', db, '--interval', '5']);
  try {
    while (!polledSince(db, since)) {
      if (performance.now() - t0 > 120_000) throw new Error(`no committed poll within 120 s of starting ${argv.join(' ')}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return performance.now() - t0;
  } finally {
    s.kill(proc.pid);
    await proc.done;
  }
}

/**
 * benchFirstPoll times the collector from spawn to its first committed poll: on a new store
 * (it creates and migrates it) and on the store it left (a restart after a crash), compiled
 * and, for comparison, through tsx as before.
 */
export async function benchFirstPoll(s: Sandbox, opts: { reps: number; log: (l: string) => void }): Promise<FirstPoll[]> {
  systemdSkeleton(s);
  const dir = mkdtempSync(join(tmpdir(), 'appnet-firstpoll-'));
  const ways = [
    { name: 'compiled', argv: [APPNET] },
    { name: 'through tsx (before)', argv: ['--import', 'tsx', join(ROOT, 'collector', 'cli.ts')] },
  ];
  const samples = new Map<string, number[]>();
  const add = (k: string, ms: number) => samples.set(k, [...(samples.get(k) ?? []), ms]);
  try {
    for (let r = 0; r < opts.reps; r++) {
      for (let k = 0; k < ways.length; k++) {
        const w = ways[(k + r) % ways.length];
        const db = join(dir, `r${r}-${k}.db`);
        add(`${w.name}, new store`, await timeToFirstPoll(s, w.argv, db));
        add(`${w.name}, restart on its store`, await timeToFirstPoll(s, w.argv, db));
      }
      // The floor on this machine at this moment: a process that starts and exits, spawned the same way.
      const t0 = performance.now();
      await s.execOk([process.execPath, '-e', '0']);
      add('node -e 0 spawned the same way (for scale)', performance.now() - t0);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const out = [...samples].map(([name, ms]) => ({ name, ms: summarize(ms) }));
  opts.log(`   first poll: ${out.map((p) => `${p.name} ${p.ms.median.toFixed(0)} ms`).join(', ')}`);
  return out;
}

const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '–');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');

/** renderStartup is the BENCHMARKS.md section for a StartupResult. */
export function renderStartup(d: StartupResult): string[] {
  return [
    `${d.rounds} rounds; each round runs every command once (order rotated per round) and divides its wall time by \`node -e 0\` of the same round; medians over rounds (min–max). The command line runs as users run it: \`node bin/appnet.mjs\`, which loads the JavaScript that scripts/build-cli.mjs compiled into .build/cli. \`top\` reads a store of 50 apps and 2 days. Goal: \`appnet --help\` and \`appnet top\` within ${GOAL}× of \`node -e 0\`.`,
    '',
    '| command | wall ms, median (min–max) | ÷ node -e 0, median (min–max) | goal |',
    '|---|---:|---:|---|',
    ...d.commands.map((c) => {
      const goal = c.goal === null || !c.ratio ? '' : c.ratio.median <= c.goal ? `≤ ${c.goal}×: meets` : `≤ ${c.goal}×: **MISSES**`;
      return `| \`${c.name}\` | ${f0(c.wallMs.median)} (${f0(c.wallMs.min)}–${f0(c.wallMs.max)}) | ${c.ratio ? `${f2(c.ratio.median)} (${f2(c.ratio.min)}–${f2(c.ratio.max)})` : 'baseline'} | ${goal} |`;
    }),
    '',
    `**Collector: spawn to first committed poll** (inside the sandbox, interval 5 s, ${d.firstPollReps} starts each, alternating; from the spawn request to the moment a poll that started after it is readable in the store, sampled every 5 ms; the restart runs on the store the first start left). Goal: within 1 s.`,
    '',
    '| collector start | ms, median (min–max) | ÷ node -e 0 spawned the same way (medians) | goal |',
    '|---|---:|---:|---|',
    ...d.firstPoll.map((p) => {
      const floor = d.firstPoll.find((x) => x.name.startsWith('node -e 0'));
      const ratio = floor && p !== floor ? f2(p.ms.median / floor.ms.median) : '';
      const goal = p.name.startsWith('compiled') ? (p.ms.median <= 1000 ? '≤ 1 s: meets' : '≤ 1 s: **MISSES**') : '';
      return `| ${p.name} | ${f0(p.ms.median)} (${f0(p.ms.min)}–${f0(p.ms.max)}) | ${ratio} | ${goal} |`;
    }),
    '',
    'The 1 s is wall time, so it depends on the machine\'s load as much as on appnet: where starting Node alone takes a second (the load average above), no collector polls within one; the ratio to that floor is what this code controls.',
    '',
  ];
}
