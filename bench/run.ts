/**
 * npm run bench: runs every benchmark (or --only=packetPath,poll,…), each real-kernel one
 * in its own sandbox, writes bench/results.json (merged with the sections not re-run)
 * and renders BENCHMARKS.md from it. --quick runs fewer, shorter trials.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSandbox, type Sandbox } from '../collector/sandbox/sandbox';
import { benchCollectorCpu } from './collector-cpu';
import { buildHistory } from './history';
import { machineInfo } from './machine';
import { benchPacketPath } from './packet-path';
import { benchPoll } from './poll';
import { benchQueries } from './queries';
import { renderReport } from './report';
import { SECTIONS, type QueriesData, type Results, type Section, type SectionName, type StorageData } from './results';
import { benchScale } from './scale';
import { benchWrites, storageFromHistory } from './storage';
import { buildNetbench, OUT_DIR } from './traffic';

const HERE = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(HERE, 'results.json');
const REPORT = join(HERE, '..', 'BENCHMARKS.md');

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only='));
const only = onlyArg ? (onlyArg.slice(7).split(',') as SectionName[]) : [...SECTIONS];
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
    return { at, seconds: (Date.now() - t0) / 1000, loadAvg: loadavg(), error: msg.split('\n')[0] };
  }
}

async function queriesAndStorage(): Promise<{ q?: Section<QueriesData>; st?: Section<StorageData> }> {
  const now = Math.floor(Date.now() / 1000);
  const shape = { apps: 500, networks: 5, activeHourShare: 0.1 };
  const paths = { week: join(OUT_DIR, 'history-week.db'), year: join(OUT_DIR, 'history-year.db') };
  const clean = () => {
    for (const p of Object.values(paths)) for (const s of ['', '-wal', '-shm']) rmSync(p + s, { force: true });
  };
  clean();
  try {
    let t = Date.now();
    const week = buildHistory(paths.week, { ...shape, days: 7 }, now);
    const weekSec = (Date.now() - t) / 1000;
    t = Date.now();
    const year = buildHistory(paths.year, { ...shape, days: 365 }, now);
    const yearSec = (Date.now() - t) / 1000;
    log(`   built stores: week ${weekSec.toFixed(1)} s, year ${yearSec.toFixed(1)} s`);
    const out: { q?: Section<QueriesData>; st?: Section<StorageData> } = {};
    if (only.includes('queries')) {
      const reps = quick ? 8 : 20;
      out.q = await section('queries', async () => ({ ...shape, rows: { week: week.rows, year: year.rows }, buildSeconds: { week: weekSec, year: yearSec }, reps, results: benchQueries(week, year, { reps }) }));
    }
    if (only.includes('storage')) {
      out.st = await section('storage', async () => ({ history: storageFromHistory(year), writes: benchWrites(join(OUT_DIR, 'writes.db'), { series: 1000, polls: quick ? 30 : 100, now }) }));
    }
    week.db.close();
    year.db.close();
    return out;
  } finally {
    clean();
  }
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const prev: Partial<Results> = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Partial<Results>) : {};
  const res: Results = { ...prev, machine: machineInfo() };
  if (only.some((o) => ['packetPath', 'scale', 'collectorCpu'].includes(o))) buildNetbench();
  if (only.includes('packetPath')) res.packetPath = await section('packetPath', () => inSandbox((s) => benchPacketPath(s, { rounds: quick ? 2 : 5, secs: quick ? 0.3 : 0.5, log })));
  if (only.includes('scale')) res.scale = await section('scale', () => inSandbox((s) => benchScale(s, { apps: 10_000, rules: 500, rounds: quick ? 1 : 3, secs: quick ? 0.3 : 0.5, log })));
  if (only.includes('collectorCpu')) res.collectorCpu = await section('collectorCpu', () => inSandbox((s) => benchCollectorCpu(s, { windowSec: quick ? 10 : 15, intervalSec: 5, log })));
  if (only.includes('poll')) res.poll = await section('poll', () => inSandbox((s) => benchPoll(s, { sizes: [100, 300, 1000, 10_000], reps: quick ? 5 : 10, plainBudgetMs: 2000, log })));
  if (only.includes('queries') || only.includes('storage')) {
    const { q, st } = await queriesAndStorage();
    if (q) res.queries = q;
    if (st) res.storage = st;
  }
  writeFileSync(RESULTS, JSON.stringify(res, null, 1) + '\n');
  writeFileSync(REPORT, renderReport(res));
  log(`wrote ${RESULTS} and ${REPORT} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

await main();
