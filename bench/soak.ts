/**
 * Soak and churn: the real collector (1 s polls) runs for minutes to hours in a sandbox
 * under steady traffic from long-lived apps, a service that keeps restarting (a new
 * cgroup each time) and bursts of short-lived cgroups, while its memory, open files,
 * set fill, store size and poll time are sampled from outside. At the end the bytes it
 * stored per app are compared with what the peer received and sent.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Link, Running, Sandbox } from '../collector/sandbox/sandbox';
import { APP, systemdSkeleton, TRAFFIC } from '../collector/sandbox/workloads';
import { APPNET, peerTruth, waitForPoll, waitListening } from '../test/privileged/helpers';
import { summarize, type Summary } from './stats';
import { cpuUsec, OUT_DIR } from './traffic';

const COLLECTOR_CG = 'system.slice/appnet.service';
const CHURN = join(import.meta.dirname, '..', 'test', 'privileged', 'churn.mjs');
const node = process.execPath;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SoakSample {
  /** Seconds since the collector started. */
  t: number;
  rssKb: number;
  rssAnonKb: number;
  fds: number;
  /** Elements in acct_in + acct_out, as the collector's last poll read them. */
  setElements: number;
  /** Cgroups the collector remembers (live and recently gone) and the live count. */
  tracked: number;
  liveCgroups: number;
  /** The store's logical size (pages × page size, WAL included), and its two files. */
  dbBytes: number;
  fileBytes: number;
  walBytes: number;
  pollMs: number;
  /** Short-lived cgroups created so far. */
  churned: number;
}

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
  pollMs: Summary;
  cpuPct: number;
  accuracy: AccuracyRow[];
  collectorExit: string;
}

/** slopePerHour is the least-squares slope of y over t (seconds), per hour. */
export function slopePerHour(points: Array<{ t: number; y: number }>): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const num = points.reduce((a, p) => a + (p.t - mt) * (p.y - my), 0);
  const den = points.reduce((a, p) => a + (p.t - mt) ** 2, 0);
  return den ? (num / den) * 3600 : NaN;
}

/** collectorPid finds the collector itself (not cgexec, not its nft children) in its cgroup. */
function collectorPid(s: Sandbox): number | null {
  const pids = readFileSync(join(s.cgroupPath(COLLECTOR_CG), 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  const cmd = (p: number) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8');
    } catch {
      return '';
    }
  };
  return pids.find((p) => cmd(p).includes('appnet.mjs') && !cmd(p).includes('cgexec')) ?? null;
}

function procStatusKb(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

interface StatusDetail {
  elements?: number;
  setFill?: Record<string, { count: number; size: number | null }>;
  tracked?: number;
  cgroups?: number;
}

function readStatus(db: string): { detail: Map<string, StatusDetail>; pollMs: number; logicalBytes: number } {
  const d = new Database(db, { readonly: true });
  try {
    const rows = d.prepare('SELECT source, duration_ms AS ms, detail FROM collector_status').all() as Array<{ source: string; ms: number; detail: string | null }>;
    const logicalBytes = Number(d.pragma('page_count', { simple: true })) * Number(d.pragma('page_size', { simple: true }));
    return { detail: new Map(rows.map((r) => [r.source, (r.detail ? JSON.parse(r.detail) : {}) as StatusDetail])), pollMs: rows.find((r) => r.source === 'poll')?.ms ?? NaN, logicalBytes };
  } finally {
    d.close();
  }
}

const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);

function sample(s: Sandbox, pid: number, db: string, t: number, churned: number): SoakSample {
  const st = readStatus(db);
  const fill = st.detail.get('counters')?.setFill ?? {};
  const cg = st.detail.get('cgroups') ?? {};
  return {
    t,
    rssKb: procStatusKb(pid, 'VmRSS'),
    rssAnonKb: procStatusKb(pid, 'RssAnon'),
    fds: readdirSync(`/proc/${pid}/fd`).length,
    setElements: (fill.acct_in?.count ?? 0) + (fill.acct_out?.count ?? 0),
    tracked: cg.tracked ?? NaN,
    liveCgroups: cg.cgroups ?? NaN,
    dbBytes: st.logicalBytes,
    fileBytes: size(db),
    walBytes: size(`${db}-wal`),
    pollMs: st.pollMs,
    churned,
  };
}

/** storedFor sums what the store holds on a link for the apps of the given cgroup paths (null: every app). */
function storedFor(db: string, iface: string, cgroupLike: string | null): { rx: number; tx: number; txPackets: number } {
  const d = new Database(db, { readonly: true });
  try {
    return d
      .prepare(
        `SELECT COALESCE(SUM(u.rx_bytes),0) AS rx, COALESCE(SUM(u.tx_bytes),0) AS tx, COALESCE(SUM(u.tx_packets),0) AS txPackets
         FROM usage_10s u JOIN series s ON s.id = u.series_id JOIN interfaces i ON i.id = s.iface_id
         WHERE i.name = ? AND (? IS NULL OR s.app_id IN (SELECT app_id FROM cgroups WHERE path LIKE ?))`,
      )
      .get(iface, cgroupLike, cgroupLike) as { rx: number; tx: number; txPackets: number };
  } finally {
    d.close();
  }
}

const PORTS = { sync: 6101, web: 6102, browser: 6103, churn: 6104 };
const BROWSER = `${APP}/app-gnome-firefox-4711.scope`;
const WARMUP = 'system.slice/arp-warmup.service';

/** benchSoak runs the soak in the given sandbox; see the file comment. */
export async function benchSoak(s: Sandbox, opts: { minutes: number; intervalSec?: number; sampleSec?: number; burst?: number; log?: (l: string) => void }): Promise<SoakResult> {
  const intervalSec = opts.intervalSec ?? 1;
  const sampleSec = opts.sampleSec ?? 5;
  const elementTimeoutSec = 30;
  const burst = opts.burst ?? 50;
  const totalMs = opts.minutes * 60_000;
  // Churn stops early enough for every short-lived element to expire before the end.
  const cooldownMs = Math.max(60_000, (elementTimeoutSec + 30) * 1000);
  const warmMs = Math.min(60_000, totalMs * 0.2);
  const link: Link = s.links.find((l) => l.name === 'wlan0') ?? (await s.addLink({ name: 'wlan0', subnet: 4 }));
  systemdSkeleton(s);
  const truth = await peerTruth(s, Object.values(PORTS));
  const db = join(OUT_DIR, 'soak.db');
  for (const sfx of ['', '-wal', '-shm']) rmSync(db + sfx, { force: true });
  const procs: Running[] = [];
  let stopping = false;
  const loops: Promise<unknown>[] = [];
  try {
    for (const p of [PORTS.sync, PORTS.web, PORTS.churn]) procs.push(await s.spawn([node, TRAFFIC, 'serve-udp', link.peerV4, String(p)], { net: 'peer' }));
    procs.push(await s.spawn([node, TRAFFIC, 'serve-tcp', link.peerV4, String(PORTS.browser), 'source:300000'], { net: 'peer' }));
    await waitListening(s, PORTS.browser, { net: 'peer' });
    for (const p of [PORTS.sync, PORTS.web, PORTS.churn]) await waitListening(s, p, { udp: true, net: 'peer' });
    const collector = await s.spawn([node, APPNET, 'collect', '--db', db, '--interval', String(intervalSec), '--element-timeout', String(elementTimeoutSec)], { cgroup: COLLECTOR_CG });
    procs.push(collector);
    let pid: number | null = null;
    for (let i = 0; i < 200 && (pid === null || !existsSync(db)); i++) {
      await sleep(100);
      pid = collectorPid(s);
    }
    if (pid === null) throw new Error(`the collector did not start: ${(await Promise.race([collector.done, sleep(1000).then(() => null)]))?.stderr ?? ''}`);
    const t0 = Date.now();
    const cpu0 = cpuUsec(s, COLLECTOR_CG);
    // Traffic starts once the collector's table is in place, after a first ARP
    // resolution (so no datagram queues behind it); the peer's counts start from here.
    await waitForPoll(db, t0, 60_000);
    await s.execOk([node, TRAFFIC, 'udp-send', link.peerV4, String(PORTS.churn), '1', '10'], { cgroup: WARMUP });
    await sleep(200);
    const t0Truth = await truth();
    // Steady traffic: a sync service (UDP, ~60 kB/s) and a browser scope at level 5 (TCP downloads).
    const sync = await s.spawn([node, TRAFFIC, 'udp-send', link.peerV4, String(PORTS.sync), String(1e9), '1200', '20'], { cgroup: 'system.slice/sync.service' });
    const every = (ms: number, fn: () => Promise<unknown>) =>
      loops.push(
        (async () => {
          while (!stopping) await Promise.all([fn().catch(() => undefined), sleep(ms)]);
        })(),
      );
    every(2000, () => s.exec([node, TRAFFIC, 'tcp-recv', link.peerV4, String(PORTS.browser)], { cgroup: BROWSER }));
    // A service restarting every 15 s: each start is a new cgroup at the same path.
    let restarts = 0;
    let web: Running | null = null;
    every(15_000, async () => {
      if (web) {
        s.kill(web.pid, 'SIGTERM');
        await web.done;
        for (let i = 0; i < 50; i++) {
          try {
            rmdirSync(s.cgroupPath('system.slice/web.service'));
            break;
          } catch {
            await sleep(20);
          }
        }
        restarts++;
      }
      if (!stopping) web = await s.spawn([node, TRAFFIC, 'udp-send', link.peerV4, String(PORTS.web), String(1e9), '500', '10'], { cgroup: 'system.slice/web.service' });
    });
    // Bursts of short-lived cgroups (a build, a cron storm) until the cool-down.
    let churned = 0;
    s.mkCgroup('system.slice/cron.service/bursts');
    every(5000, async () => {
      if (Date.now() - t0 < warmMs || Date.now() - t0 > totalMs - cooldownMs) return;
      await s.execOk([node, CHURN, 'system.slice/cron.service/bursts', String(burst), link.peerV4, String(PORTS.churn)]);
      churned += burst;
    });
    const samples: SoakSample[] = [];
    let baselineSet = NaN;
    let baselineTracked = NaN;
    while (Date.now() - t0 < totalMs) {
      await sleep(sampleSec * 1000 - ((Date.now() - t0) % (sampleSec * 1000)));
      const sm = sample(s, pid, db, (Date.now() - t0) / 1000, churned);
      samples.push(sm);
      if (churned === 0 && sm.t * 1000 < warmMs) {
        baselineSet = sm.setElements;
        baselineTracked = sm.tracked;
      }
      if (samples.length % Math.max(1, Math.round(60 / sampleSec)) === 0) {
        opts.log?.(`   ${Math.round(sm.t)} s: rss ${sm.rssKb} kB (anon ${sm.rssAnonKb}), fds ${sm.fds}, set ${sm.setElements}, tracked ${sm.tracked}/${sm.liveCgroups} live, db ${sm.dbBytes} (files ${sm.fileBytes} + wal ${sm.walBytes}), poll ${sm.pollMs.toFixed(1)} ms, churned ${sm.churned}`);
      }
    }
    stopping = true;
    s.kill(sync.pid, 'SIGTERM');
    await sync.done;
    await Promise.all(loops);
    if (web) {
      s.kill((web as Running).pid, 'SIGTERM');
      await (web as Running).done;
    }
    const cpuPct = ((cpuUsec(s, COLLECTOR_CG) - cpu0) / 1e6 / ((Date.now() - t0) / 1000)) * 100;
    await sleep((intervalSec * 3 + 1) * 1000);
    const t = await truth();
    const peer = (k: string) => ({ bytes: (t.get(k)?.bytes ?? 0) - (t0Truth.get(k)?.bytes ?? 0), packets: (t.get(k)?.packets ?? 0) - (t0Truth.get(k)?.packets ?? 0) });
    const accuracy: AccuracyRow[] = [];
    const row = (app: string, what: string, stored: number, p: number) => accuracy.push({ app, what, stored, peer: p, ratio: p ? stored / p : NaN });
    row('sync.service', 'tx bytes', storedFor(db, link.name, 'system.slice/sync.service').tx, peer(`in-${PORTS.sync}u`).bytes);
    row('web.service (restarted)', 'tx bytes', storedFor(db, link.name, 'system.slice/web.service').tx, peer(`in-${PORTS.web}u`).bytes);
    row('firefox scope', 'rx bytes', storedFor(db, link.name, BROWSER).rx, peer(`out-${PORTS.browser}`).bytes);
    row('firefox scope', 'tx bytes', storedFor(db, link.name, BROWSER).tx, peer(`in-${PORTS.browser}`).bytes);
    // Short-lived cgroups may end before their name is read ('(unknown cgroup)'): count
    // them as everything on the link that is not the long-lived apps nor unattributed.
    const known = ['system.slice/sync.service', 'system.slice/web.service', BROWSER, WARMUP].reduce((n, p) => n + storedFor(db, link.name, p).txPackets, 0);
    const unattributed = (() => {
      const d = new Database(db, { readonly: true });
      const r = d.prepare(`SELECT COALESCE(SUM(u.tx_packets),0) AS p FROM usage_10s u JOIN series s ON s.id = u.series_id JOIN apps a ON a.id = s.app_id JOIN interfaces i ON i.id = s.iface_id WHERE i.name = ? AND a.app_key = '(unattributed)'`).get(link.name) as { p: number };
      d.close();
      return r.p;
    })();
    row(`${churned} short-lived cgroups`, 'tx packets', storedFor(db, link.name, null).txPackets - known - unattributed, peer(`in-${PORTS.churn}u`).packets);
    s.kill(collector.pid, 'SIGTERM');
    const end = await collector.done;
    const collectorExit = end.code === 0 ? 'exit 0 on SIGTERM' : `exit ${end.code ?? end.signal}: ${end.stderr.trim().slice(-300)}`;
    const secondHalf = samples.filter((x) => x.t >= samples[samples.length - 1].t / 2);
    const warm = samples.find((x) => x.t * 1000 >= warmMs) ?? samples[0];
    const last = samples[samples.length - 1];
    const fill = readStatus(db).detail.get('counters')?.setFill ?? {};
    return {
      minutes: opts.minutes,
      intervalSec,
      elementTimeoutSec,
      sampleSec,
      workload: `sync.service UDP 1200 B every 20 ms; firefox scope (level 5) 300 kB TCP download every 2 s; web.service UDP 500 B every 10 ms, restarted every 15 s (new cgroup each time); ${burst} short-lived cgroups every 5 s (one datagram each) from ${Math.round(warmMs / 1000)} s until ${Math.round(cooldownMs / 1000)} s before the end`,
      churnedCgroups: churned,
      serviceRestarts: restarts,
      samples,
      rss: {
        startKb: samples[0].rssKb,
        warmKb: warm.rssKb,
        endKb: last.rssKb,
        maxKb: Math.max(...samples.map((x) => x.rssKb)),
        slopeKbPerHour: slopePerHour(secondHalf.map((x) => ({ t: x.t, y: x.rssKb }))),
        anonStartKb: samples[0].rssAnonKb,
        anonEndKb: last.rssAnonKb,
        anonSlopeKbPerHour: slopePerHour(secondHalf.map((x) => ({ t: x.t, y: x.rssAnonKb }))),
      },
      fds: { start: samples[0].fds, end: last.fds, max: Math.max(...samples.map((x) => x.fds)) },
      set: { baseline: baselineSet, peak: Math.max(...samples.map((x) => x.setElements)), end: last.setElements, size: fill.acct_out?.size ?? null },
      tracked: { baseline: baselineTracked, peak: Math.max(...samples.map((x) => x.tracked)), end: last.tracked },
      db: { startBytes: samples[0].dbBytes, endBytes: last.dbBytes, growthBytesPerHour: slopePerHour(secondHalf.map((x) => ({ t: x.t, y: x.dbBytes }))), fileEndBytes: last.fileBytes, walMaxBytes: Math.max(...samples.map((x) => x.walBytes)) },
      pollMs: summarize(samples.map((x) => x.pollMs).filter(Number.isFinite)),
      cpuPct,
      accuracy,
      collectorExit,
    };
  } finally {
    stopping = true;
    for (const p of procs) s.kill(p.pid, 'SIGTERM');
    await Promise.race([Promise.all([...loops, ...procs.map((p) => p.done.catch(() => undefined))]), sleep(10_000)]);
  }
}
