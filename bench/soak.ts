/**
 * Soak and churn: the real collector (1 s polls) runs for minutes to hours in a sandbox
 * under steady traffic from long-lived apps, a service that keeps restarting (a new
 * cgroup each time) and bursts of short-lived cgroups, while its memory, open files,
 * set fill, store size and poll time are sampled from outside (bench/soak-sample.ts).
 * At the end the bytes it stored per app are compared with what the peer counted.
 */
import { existsSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Link, Running, Sandbox } from '../collector/sandbox/sandbox';
import { APP, systemdSkeleton, TRAFFIC } from '../collector/sandbox/workloads';
import { APPNET, waitForPoll } from '../harness/collector';
import { peerTruth, waitListening } from '../harness/peer';
import { collectorPid, COLLECTOR_CG, readStatus, sample, slopePerHour, storedFor, storeRows, unattributedTxPackets, type SoakSample } from './soak-sample';
import { summarize, type Summary } from './stats';
import { cpuUsec, OUT_DIR } from './traffic';

const CHURN = join(import.meta.dirname, '..', 'harness', 'churn.mjs');
const node = process.execPath;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PORTS = { sync: 6101, web: 6102, browser: 6103, churn: 6104 };
const SYNC = 'system.slice/sync.service';
const WEB = 'system.slice/web.service';
const BROWSER = `${APP}/app-gnome-firefox-4711.scope`;
const WARMUP = 'system.slice/arp-warmup.service';

export interface AccuracyRow {
  app: string;
  what: string;
  stored: number;
  peer: number;
  ratio: number;
}

export interface SoakResult {
  minutes: number;
  intervalSec: number;
  elementTimeoutSec: number;
  sampleSec: number;
  workload: string;
  churnedCgroups: number;
  serviceRestarts: number;
  samples: SoakSample[];
  rss: { startKb: number; warmKb: number; endKb: number; maxKb: number; slopeKbPerHour: number; anonStartKb: number; anonEndKb: number; anonSlopeKbPerHour: number };
  fds: { start: number; end: number; max: number };
  set: { baseline: number; peak: number; end: number; size: number | null };
  tracked: { baseline: number; peak: number; end: number };
  db: { startBytes: number; endBytes: number; growthBytesPerHour: number; fileEndBytes: number; walMaxBytes: number };
  /** Rows at the end in the tables that grow with time or churn (gone cgroups are kept 400 days). */
  rows?: Record<string, number>;
  pollMs: Summary;
  cpuPct: number;
  accuracy: AccuracyRow[];
  collectorExit: string;
}

interface Plan {
  link: Link;
  t0: number;
  totalMs: number;
  warmMs: number;
  cooldownMs: number;
  burst: number;
}

interface Workload {
  churned(): number;
  restarts(): number;
  stop(): Promise<void>;
}

/**
 * startWorkload keeps the apps busy: a sync service (UDP, ~60 kB/s), a browser scope at
 * level 5 (a 300 kB TCP download every 2 s), a web service restarted every 15 s (a new
 * cgroup at the same path each time) and bursts of short-lived cgroups until the cool-down.
 */
async function startWorkload(s: Sandbox, p: Plan): Promise<Workload> {
  const { link } = p;
  let stopping = false;
  const loops: Promise<unknown>[] = [];
  const every = (ms: number, fn: () => Promise<unknown>) =>
    loops.push(
      (async () => {
        while (!stopping) await Promise.all([fn().catch(() => undefined), sleep(ms)]);
      })(),
    );
  const sync = await s.spawn([node, TRAFFIC, 'udp-send', link.peerV4, String(PORTS.sync), String(1e9), '1200', '20'], { cgroup: SYNC });
  every(2000, () => s.exec([node, TRAFFIC, 'tcp-recv', link.peerV4, String(PORTS.browser)], { cgroup: BROWSER }));
  let restarts = 0;
  let web: Running | null = null;
  const stopWeb = async (w: Running) => {
    s.kill(w.pid, 'SIGTERM');
    await w.done;
  };
  every(15_000, async () => {
    if (web) {
      await stopWeb(web);
      for (let i = 0; i < 50; i++) {
        try {
          rmdirSync(s.cgroupPath(WEB));
          break;
        } catch {
          await sleep(20);
        }
      }
      restarts++;
    }
    web = stopping ? null : await s.spawn([node, TRAFFIC, 'udp-send', link.peerV4, String(PORTS.web), String(1e9), '500', '10'], { cgroup: WEB });
  });
  let churned = 0;
  s.mkCgroup('system.slice/cron.service/bursts');
  every(5000, async () => {
    const at = Date.now() - p.t0;
    if (at < p.warmMs || at > p.totalMs - p.cooldownMs) return;
    await s.execOk([node, CHURN, 'system.slice/cron.service/bursts', String(p.burst), link.peerV4, String(PORTS.churn)]);
    churned += p.burst;
  });
  let stopped: Promise<void> | null = null;
  return {
    churned: () => churned,
    restarts: () => restarts,
    stop: () =>
      (stopped ??= (async () => {
        stopping = true;
        s.kill(sync.pid, 'SIGTERM');
        await sync.done;
        await Promise.all(loops);
        if (web) await stopWeb(web);
      })()),
  };
}

type Truth = Map<string, { bytes: number; packets: number }>;

/** measureAccuracy compares what the store holds per app with the peer's counts since `from`. */
function measureAccuracy(db: string, link: Link, from: Truth, to: Truth, churned: number): AccuracyRow[] {
  const peer = (k: string) => ({ bytes: (to.get(k)?.bytes ?? 0) - (from.get(k)?.bytes ?? 0), packets: (to.get(k)?.packets ?? 0) - (from.get(k)?.packets ?? 0) });
  const rows: AccuracyRow[] = [];
  const row = (app: string, what: string, stored: number, p: number) => rows.push({ app, what, stored, peer: p, ratio: p ? stored / p : NaN });
  row('sync.service', 'tx bytes', storedFor(db, link.name, SYNC).tx, peer(`in-${PORTS.sync}u`).bytes);
  row('web.service (restarted)', 'tx bytes', storedFor(db, link.name, WEB).tx, peer(`in-${PORTS.web}u`).bytes);
  row('firefox scope', 'rx bytes', storedFor(db, link.name, BROWSER).rx, peer(`out-${PORTS.browser}`).bytes);
  row('firefox scope', 'tx bytes', storedFor(db, link.name, BROWSER).tx, peer(`in-${PORTS.browser}`).bytes);
  // Short-lived cgroups may end before their name is read ('(unknown cgroup)'): count
  // them as everything on the link that is not the long-lived apps nor unattributed.
  const known = [SYNC, WEB, BROWSER, WARMUP].reduce((n, path) => n + storedFor(db, link.name, path).txPackets, 0);
  row(`${churned} short-lived cgroups`, 'tx packets', storedFor(db, link.name, null).txPackets - known - unattributedTxPackets(db, link.name), peer(`in-${PORTS.churn}u`).packets);
  return rows;
}

/** summariseSamples reduces the samples to start / warm / end / trend figures. */
function summariseSamples(samples: SoakSample[], warmMs: number, baseline: SoakSample | undefined, db: string): Pick<SoakResult, 'rss' | 'fds' | 'set' | 'tracked' | 'db' | 'pollMs'> {
  if (samples.length === 0) throw new Error('no samples taken: the soak was shorter than one sample interval');
  const last = samples[samples.length - 1];
  const secondHalf = samples.filter((x) => x.t >= last.t / 2);
  const warm = samples.find((x) => x.t * 1000 >= warmMs) ?? samples[0];
  const trend = (y: (x: SoakSample) => number) => slopePerHour(secondHalf.map((x) => ({ t: x.t, y: y(x) })));
  const max = (y: (x: SoakSample) => number) => Math.max(...samples.map(y));
  const fill = readStatus(db).detail.get('counters')?.setFill ?? {};
  return {
    rss: {
      startKb: samples[0].rssKb,
      warmKb: warm.rssKb,
      endKb: last.rssKb,
      maxKb: max((x) => x.rssKb),
      slopeKbPerHour: trend((x) => x.rssKb),
      anonStartKb: samples[0].rssAnonKb,
      anonEndKb: last.rssAnonKb,
      anonSlopeKbPerHour: trend((x) => x.rssAnonKb),
    },
    fds: { start: samples[0].fds, end: last.fds, max: max((x) => x.fds) },
    set: { baseline: baseline?.setElements ?? NaN, peak: max((x) => x.setElements), end: last.setElements, size: fill.acct_out?.size ?? null },
    tracked: { baseline: baseline?.tracked ?? NaN, peak: max((x) => x.tracked), end: last.tracked },
    db: { startBytes: samples[0].dbBytes, endBytes: last.dbBytes, growthBytesPerHour: trend((x) => x.dbBytes), fileEndBytes: last.fileBytes, walMaxBytes: max((x) => x.walBytes) },
    pollMs: summarize(samples.map((x) => x.pollMs).filter(Number.isFinite)),
  };
}

/** startServers starts the peer's sinks and sources and waits until they listen. */
async function startServers(s: Sandbox, link: Link, procs: Running[]): Promise<void> {
  for (const port of [PORTS.sync, PORTS.web, PORTS.churn]) procs.push(await s.spawn([node, TRAFFIC, 'serve-udp', link.peerV4, String(port)], { net: 'peer' }));
  procs.push(await s.spawn([node, TRAFFIC, 'serve-tcp', link.peerV4, String(PORTS.browser), 'source:300000'], { net: 'peer' }));
  await waitListening(s, PORTS.browser, { net: 'peer' });
  for (const port of [PORTS.sync, PORTS.web, PORTS.churn]) await waitListening(s, port, { udp: true, net: 'peer' });
}

/** benchSoak runs the soak in the given sandbox; see the file comment. */
export async function benchSoak(s: Sandbox, opts: { minutes: number; intervalSec?: number; sampleSec?: number; burst?: number; log?: (l: string) => void }): Promise<SoakResult> {
  const intervalSec = opts.intervalSec ?? 1;
  const sampleSec = opts.sampleSec ?? 5;
  const elementTimeoutSec = 30;
  const totalMs = opts.minutes * 60_000;
  const link = s.links.find((l) => l.name === 'wlan0') ?? (await s.addLink({ name: 'wlan0', subnet: 4 }));
  systemdSkeleton(s);
  const truth = await peerTruth(s, Object.values(PORTS));
  const db = join(OUT_DIR, 'soak.db');
  for (const sfx of ['', '-wal', '-shm']) rmSync(db + sfx, { force: true });
  const procs: Running[] = [];
  let workload: Workload | null = null;
  try {
    await startServers(s, link, procs);
    const collector = await s.spawn([node, APPNET, 'collect', '--db', db, '--interval', String(intervalSec), '--element-timeout', String(elementTimeoutSec)], { cgroup: COLLECTOR_CG });
    procs.push(collector);
    let pid: number | null = null;
    for (let i = 0; i < 200 && (pid === null || !existsSync(db)); i++) {
      await sleep(100);
      pid = collectorPid(s);
    }
    if (pid === null) throw new Error(`the collector did not start: ${(await Promise.race([collector.done, sleep(1000).then(() => null)]))?.stderr ?? ''}`);
    // Churn stops early enough for every short-lived element to expire before the end.
    const plan: Plan = { link, t0: Date.now(), totalMs, warmMs: Math.min(60_000, totalMs * 0.2), cooldownMs: Math.max(60_000, (elementTimeoutSec + 30) * 1000), burst: opts.burst ?? 50 };
    const cpu0 = cpuUsec(s, COLLECTOR_CG);
    // Traffic starts once the collector's table is in place, after a first ARP
    // resolution (so no datagram queues behind it); the peer's counts start from here.
    await waitForPoll(db, plan.t0, 60_000);
    await s.execOk([node, TRAFFIC, 'udp-send', link.peerV4, String(PORTS.churn), '1', '10'], { cgroup: WARMUP });
    await sleep(200);
    const truth0 = await truth();
    workload = await startWorkload(s, plan);
    const samples: SoakSample[] = [];
    let baseline: SoakSample | undefined;
    while (Date.now() - plan.t0 < totalMs) {
      await sleep(sampleSec * 1000 - ((Date.now() - plan.t0) % (sampleSec * 1000)));
      const sm = sample(s, pid, db, (Date.now() - plan.t0) / 1000, workload.churned());
      samples.push(sm);
      if (sm.churned === 0 && sm.t * 1000 < plan.warmMs) baseline = sm;
      if (samples.length % Math.max(1, Math.round(60 / sampleSec)) === 0) {
        opts.log?.(`   ${Math.round(sm.t)} s: rss ${sm.rssKb} kB (anon ${sm.rssAnonKb}), fds ${sm.fds}, set ${sm.setElements}, tracked ${sm.tracked}/${sm.liveCgroups} live, db ${sm.dbBytes} (files ${sm.fileBytes} + wal ${sm.walBytes}), poll ${sm.pollMs.toFixed(1)} ms, churned ${sm.churned}`);
      }
    }
    await workload.stop();
    const cpuPct = ((cpuUsec(s, COLLECTOR_CG) - cpu0) / 1e6 / ((Date.now() - plan.t0) / 1000)) * 100;
    await sleep((intervalSec * 3 + 1) * 1000);
    const accuracy = measureAccuracy(db, link, truth0, await truth(), workload.churned());
    s.kill(collector.pid, 'SIGTERM');
    const end = await collector.done;
    return {
      minutes: opts.minutes,
      intervalSec,
      elementTimeoutSec,
      sampleSec,
      workload: `sync.service UDP 1200 B every 20 ms; firefox scope (level 5) 300 kB TCP download every 2 s; web.service UDP 500 B every 10 ms, restarted every 15 s (new cgroup each time); ${plan.burst} short-lived cgroups every 5 s (one datagram each) from ${Math.round(plan.warmMs / 1000)} s until ${Math.round(plan.cooldownMs / 1000)} s before the end`,
      churnedCgroups: workload.churned(),
      serviceRestarts: workload.restarts(),
      samples,
      ...summariseSamples(samples, plan.warmMs, baseline, db),
      cpuPct,
      rows: storeRows(db),
      accuracy,
      collectorExit: end.code === 0 ? 'exit 0 on SIGTERM' : `exit ${end.code ?? end.signal}: ${end.stderr.trim().slice(-300)}`,
    };
  } finally {
    await Promise.race([workload?.stop(), sleep(10_000)]);
    for (const p of procs) s.kill(p.pid, 'SIGTERM');
    await Promise.race([Promise.all(procs.map((p) => p.done.catch(() => undefined))), sleep(10_000)]);
  }
}
