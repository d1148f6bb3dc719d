/**
 * npm run bench: runs every benchmark (or --only=packetPath,poll,…), each real-kernel one
 * in its own sandbox, writes bench/results.json (merged with the sections not re-run)
 * and renders BENCHMARKS.md from it. The soak runs only when named (--only=soak) or given a
 * length (--soak-minutes=N; 5 by default, 2 with --quick). --quick runs fewer, shorter trials;
 * --rounds=N sets the packet-path, scale and destinations rounds (4, 3 and 10) and the startup rounds (30); --render-only re-renders
 * BENCHMARKS.md without measuring.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSandbox, type Sandbox } from '../collector/sandbox/sandbox';
import { benchCollectorCpu } from './collector-cpu';
import { benchDestCost } from './dest-cost';
import { benchDestStore } from './dest-store';
import { buildHistory } from './history';
import { machineInfo } from './machine';
import { benchPacketPath } from './packet-path';
import { benchPoll } from './poll';
import { benchQueries } from './queries';
import { renderReport } from './report';
import { SECTIONS, type PageLoadData, type QueriesData, type Results, type Section, type SectionName, type StorageData } from './results';
import { benchScale } from './scale';
import { benchTotals } from './totals';
import { benchSoak } from './soak';
import { benchCommands, benchFirstPoll } from './startup';
import { benchWrites, storageFromHistory } from './storage';
import { summarize } from './stats';
import { buildNetbench, OUT_DIR } from './traffic';
import { shareableDir, shareDb } from '../harness/dashboard';

const HERE = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(HERE, 'results.json');
const REPORT = join(HERE, '..', 'BENCHMARKS.md');

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only='));
const soakArg = args.find((a) => a.startsWith('--soak-minutes='));
const roundsArg = args.find((a) => a.startsWith('--rounds='));
const rounds = roundsArg ? Number(roundsArg.slice(9)) : null;
if (rounds !== null && !(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`--rounds must be a whole number ≥ 1, got '${roundsArg?.slice(9)}'`);
const soakMinutes = soakArg ? Number(soakArg.slice(15)) : quick ? 2 : 5;
if (!(soakMinutes >= 1)) throw new Error(`--soak-minutes must be a number of minutes ≥ 1, got '${soakArg?.slice(15)}'`);
// The soak (reliability over time) runs when asked for, by --only=…,soak or --soak-minutes=N: the
// seven figures alone take about a quarter of an hour here, the soak as long as it is told to.
const only: SectionName[] = args.includes('--render-only') ? [] : onlyArg ? (onlyArg.slice(7).split(',') as SectionName[]) : SECTIONS.filter((x) => x !== 'soak' || soakArg);
for (const o of only) if (!SECTIONS.includes(o)) throw new Error(`unknown section '${o}'; known: ${SECTIONS.join(', ')}`);

const log = (l: string) => process.stdout.write(`${l}\n`);
let current: Sandbox | null = null;

async function inSandbox<T>(fn: (s: Sandbox) => Promise<T>): Promise<T> {
  current = await createSandbox();
  try {
    return await fn(current);
  } finally {
    await current.close();
    current = null;
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`\n${sig}: removing the sandbox`);
    void (current ? current.close() : Promise.resolve()).finally(() => process.exit(130));
  });
}

async function section<T>(name: SectionName, fn: () => Promise<T>): Promise<Section<T>> {
  log(`== ${name}`);
  const t0 = Date.now();
  const at = new Date().toISOString();
  try {
    const data = await fn();
    return { at, seconds: (Date.now() - t0) / 1000, loadAvg: loadavg(), data };
  } catch (err) {
    const msg = err instanceof Error ? err.stack ?? err.message : String(err);
    log(`   FAILED: ${msg}`);
    return { at, seconds: (Date.now() - t0) / 1000, loadAvg: loadavg(), error: msg.split('\n').slice(0, 6).join(' ').slice(0, 1200) };
  }
}

/** pageLoad times the overview in headless Chromium, inside a sandbox, on the year store. */
async function pageLoad(yearDb: string): Promise<PageLoadData> {
  if (!existsSync(join(HERE, '..', '.next', 'BUILD_ID'))) throw new Error('no production build (.next/BUILD_ID): run `next build` first');
  const reps = quick ? 3 : 8;
  shareDb(yearDb);
  // Hold the build lock so nobody rebuilds .next under the running server.
  const out = await inSandbox((s) => s.execOk(['flock', '/tmp/appnet-next.lock', process.execPath, '--import', 'tsx', join(HERE, 'probe', 'page-probe.ts'), yearDb, String(reps)], { timeoutMs: 900_000 }));
  const raw = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, { drawn: number[]; interactive: number[] }>;
  const per = (f: (v: { drawn: number[]; interactive: number[] }) => number[]) => Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, summarize(f(v))]));
  return {
    reps,
    periods: per((v) => v.drawn),
    interactive: per((v) => v.interactive),
    gap: per((v) => v.interactive.map((ms, i) => ms - v.drawn[i])),
  };
}

async function queriesAndStorage(): Promise<{ q?: Section<QueriesData>; st?: Section<StorageData>; pl?: Section<PageLoadData> }> {
  const now = Math.floor(Date.now() / 1000);
  const shape = { apps: 500, networks: 5, activeHourShare: 0.04 };
  // A directory the dashboard can still read after it drops root (page load).
  const dir = shareableDir('appnet-bench-');
  const paths = { week: join(dir, 'history-week.db'), year: join(dir, 'history-year.db') };
  const clean = () => rmSync(dir, { recursive: true, force: true });
  try {
    let t = Date.now();
    const week = buildHistory(paths.week, { ...shape, days: 7 }, now);
    const weekSec = (Date.now() - t) / 1000;
    t = Date.now();
    const year = buildHistory(paths.year, { ...shape, days: 365 }, now);
    const yearSec = (Date.now() - t) / 1000;
    log(`   built stores: week ${weekSec.toFixed(1)} s, year ${yearSec.toFixed(1)} s`);
    const out: { q?: Section<QueriesData>; st?: Section<StorageData>; pl?: Section<PageLoadData> } = {};
    if (only.includes('queries')) {
      const reps = quick ? 8 : 20;
      out.q = await section('queries', async () => ({ ...shape, rows: { week: week.rows, year: year.rows }, buildSeconds: { week: weekSec, year: yearSec }, reps, results: benchQueries(week, year, { reps }) }));
    }
    if (only.includes('storage')) {
      out.st = await section('storage', async () => ({ history: storageFromHistory(year), writes: benchWrites(join(OUT_DIR, 'writes.db'), { series: 1000, polls: quick ? 60 : 240, now }) }));
    }
    week.db.close();
    year.db.close();
    if (only.includes('pageLoad')) out.pl = await section('pageLoad', () => pageLoad(paths.year));
    return out;
  } finally {
    clean();
  }
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const prev: Partial<Results> = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Partial<Results>) : {};
  // Only what this run measures: save() merges it into the file as it is then.
  const res: Results = { machine: only.length || !prev.machine ? machineInfo() : prev.machine };
  if (only.some((o) => ['packetPath', 'totals', 'scale', 'collectorCpu'].includes(o))) buildNetbench();
  if (only.includes('packetPath')) {
    res.packetPath = await section('packetPath', () => inSandbox((s) => benchPacketPath(s, { rounds: rounds ?? (quick ? 2 : 4), secs: quick ? 0.3 : 0.5, log })));
    save(res);
  }
  if (only.includes('totals')) {
    res.totals = await section('totals', () => inSandbox((s) => benchTotals(s, { rounds: rounds ?? (quick ? 2 : 10), secs: quick ? 0.3 : 0.5, log })));
    save(res);
  }
  if (only.includes('scale')) {
    res.scale = await section('scale', () => inSandbox((s) => benchScale(s, { apps: 10_000, rules: 500, rounds: rounds ?? (quick ? 1 : 3), secs: quick ? 0.3 : 0.5, log })));
    save(res);
  }
  if (only.includes('collectorCpu')) {
    res.collectorCpu = await section('collectorCpu', () => inSandbox((s) => benchCollectorCpu(s, { windowSec: quick ? 10 : 30, intervalSec: 5, rounds: quick ? 1 : 3, log })));
    save(res);
  }
  if (only.includes('poll')) {
    res.poll = await section('poll', () => inSandbox((s) => benchPoll(s, { sizes: [100, 300, 1000, 10_000], reps: quick ? 5 : 8, plainBudgetMs: 2000, log })));
    save(res);
  }
  if (only.includes('queries') || only.includes('storage') || only.includes('pageLoad')) {
    const { q, st, pl } = await queriesAndStorage();
    if (q) res.queries = q;
    if (st) res.storage = st;
    if (pl) res.pageLoad = pl;
  }
  if (only.includes('startup')) {
    res.startup = await section('startup', async () => {
      const reps = quick ? 3 : 10;
      const commands = benchCommands({ rounds: rounds ?? (quick ? 5 : 30), log });
      return { rounds: commands[0].wallMs.n, commands, firstPollReps: reps, firstPoll: await inSandbox((s) => benchFirstPoll(s, { reps, log })) };
    });
  }
  if (only.includes('destinations')) res.destinations = await section('destinations', () => inSandbox((s) => benchDestCost(s, { rounds: rounds ?? (quick ? 2 : 10), secs: quick ? 0.3 : 0.5, log })));
  if (only.includes('destinationsStore')) res.destinationsStore = await section('destinationsStore', async () => benchDestStore({ days: quick ? 100 : 365, log }));
  if (only.includes('soak')) res.soak = await section('soak', () => inSandbox((s) => benchSoak(s, { minutes: soakMinutes, log })));
  save(res);
  log(`wrote ${RESULTS} and ${REPORT} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

/**
 * save writes what this run measured so far into the results and the report, after every
 * section, so a run stopped in its last section keeps the ones before it. Others may have re-run
 * other sections while this run went on (a soak takes minutes): what this run measured is merged
 * into the file as it is now, not as it was at the start.
 */
function save(res: Results): void {
  const latest: Partial<Results> = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Partial<Results>) : {};
  const merged: Results = { ...latest, ...res };
  writeFileSync(RESULTS, JSON.stringify(merged, null, 1) + '\n');
  writeFileSync(REPORT, renderReport(merged));
}

await main();
