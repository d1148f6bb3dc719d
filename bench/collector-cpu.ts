/**
 * Figure 3: CPU of the collector against nethogs (packet capture) watching the same link
 * at the same time, idle and at saturation; plus accuracy: the bytes the collector
 * stored against what the peer's interface saw.
 */
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Link, Running, Sandbox } from '../collector/sandbox/sandbox';
import { getTopApps } from '../db/queries/usage';
import { openDb } from '../db/open';
import { median } from './stats';
import { APP_CGROUP, cpuUsec, OUT_DIR, startTcpServers, udpPps } from './traffic';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const COLLECTOR_CG = 'system.slice/appnet.service';
const NETHOGS_CG = 'system.slice/nethogs.service';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface CpuWindow {
  phase: string;
  /** Which round of phases it belongs to (from 1). */
  round?: number;
  seconds: number;
  /** Share of one CPU, in percent. */
  collectorPct: number;
  nethogsPct: number | null;
}

export interface AccuracyRow {
  direction: 'tx' | 'rx';
  /** Bytes in the collector's store, all apps + unattributed, on the link. */
  stored: number;
  /** IP bytes the peer's interface counted (link bytes − 14 per packet). */
  peer: number;
  ratio: number;
}

export interface CollectorCpuResult {
  intervalSec: number;
  /** Rounds of the phase sequence (idle, trickle, loaded…); ratios are taken within a round. */
  rounds?: number;
  windows: CpuWindow[];
  /** Min and max over rounds of each ratio below (key: '<kind>:<phase>', kind idle | trickle | nethogs). */
  ranges?: Record<string, { min: number; max: number }>;
  /** collector ÷ nethogs at each loaded phase (median over rounds). */
  collectorOverNethogs: Record<string, number>;
  /** saturation CPU ÷ idle CPU, per process. */
  saturationOverIdle: { collector: Record<string, number>; nethogs: Record<string, number> | null };
  /**
   * saturation CPU ÷ CPU at a trickle (one small datagram a second), collector only: what traffic
   * volume costs, apart from the step from writing nothing (idle polls) to writing a poll's usage.
   */
  saturationOverTrickle?: Record<string, number>;
  accuracy: AccuracyRow[];
  nethogs: string | null;
}

async function linkIpBytes(s: Sandbox, link: Link): Promise<{ rx: number; tx: number }> {
  const out = await s.execOk(['ip', '-j', '-s', 'link', 'show', link.peerName], { net: 'peer' });
  const j = JSON.parse(out) as Array<{ stats64: { rx: { bytes: number; packets: number }; tx: { bytes: number; packets: number } } }>;
  const st = j[0].stats64;
  // The peer receives what the sandbox sent (tx) and sends what it received (rx).
  return { tx: st.rx.bytes - 14 * st.rx.packets, rx: st.tx.bytes - 14 * st.tx.packets };
}

/** benchCollectorCpu runs figure 3 and the accuracy check in the given sandbox. */
export async function benchCollectorCpu(s: Sandbox, opts: { windowSec: number; intervalSec: number; rounds?: number; log?: (l: string) => void }): Promise<CollectorCpuResult> {
  const rounds = opts.rounds ?? 1;
  const link = s.links.find((l) => l.name === 'wwan0') ?? (await s.addLink({ name: 'wwan0', subnet: 7 }));
  const db = join(OUT_DIR, 'collector-bench.db');
  for (const sfx of ['', '-wal', '-shm']) rmSync(db + sfx, { force: true });
  const hasNethogs = existsSync('/usr/sbin/nethogs');
  const procs: Running[] = [];
  const servers = await startTcpServers(s, link, 'egress', { iperf: 5401, rr: 5402 }, { realtime: false });
  try {
    procs.push(await s.spawn([process.execPath, join(ROOT, 'bin', 'appnet.mjs'), 'collect', '--db', db, '--interval', String(opts.intervalSec)], { cgroup: COLLECTOR_CG }));
    if (hasNethogs) procs.push(await s.spawn(['nethogs', '-t', '-C', '-d', String(opts.intervalSec), link.name], { cgroup: NETHOGS_CG }));
    const exited: string[] = [];
    procs.forEach((p, i) => void p.done.then((r) => exited.push(`${i ? 'nethogs' : 'collector'} exited (${r.code ?? r.signal}): ${r.stderr.trim().slice(-500)}`)));
    // Past start-up (first scan, first interface refresh, JIT) before the idle window, so
    // idle is the steady state the loaded phases are compared with.
    await sleep(Math.max(opts.windowSec, 30) * 1000 + 5000);
    if (exited.length) throw new Error(exited.join('; '));
    const base = await linkIpBytes(s, link);
    const windows: CpuWindow[] = [];
    let round = 1;
    const measure = async (phase: string, load: () => Promise<unknown>) => {
      const c0 = cpuUsec(s, COLLECTOR_CG);
      const n0 = hasNethogs ? cpuUsec(s, NETHOGS_CG) : 0;
      const t0 = Date.now();
      await Promise.all([load(), sleep(opts.windowSec * 1000)]);
      const secs = (Date.now() - t0) / 1000;
      const w: CpuWindow = {
        phase,
        round,
        seconds: secs,
        collectorPct: ((cpuUsec(s, COLLECTOR_CG) - c0) / 1e6 / secs) * 100,
        nethogsPct: hasNethogs ? ((cpuUsec(s, NETHOGS_CG) - n0) / 1e6 / secs) * 100 : null,
      };
      opts.log?.(`  cpu round ${round} ${phase}: collector ${w.collectorPct.toFixed(2)} %, nethogs ${w.nethogsPct?.toFixed(2) ?? '-'} %`);
      windows.push(w);
    };
    // Phases repeat in rounds and every ratio is taken within its round: a periodic task of the
    // collector (interface refresh, housekeeping) falling into one window moves that round only.
    // One 100-byte datagram a second from the app: every poll has usage to write, at almost no traffic.
    const trickle = `const s = require('node:dgram').createSocket('udp4'); const b = Buffer.alloc(100);
      const t = setInterval(() => s.send(b, 5409, ${JSON.stringify(link.peerV4)}), 1000);
      setTimeout(() => { clearInterval(t); s.close(); }, ${Math.round(opts.windowSec * 1000)});`;
    for (; round <= rounds; round++) {
      await measure('idle', async () => undefined);
      await measure('trickle', () => s.execOk([process.execPath, '-e', trickle], { cgroup: APP_CGROUP, timeoutMs: (opts.windowSec + 20) * 1000 }));
      await measure('tcp-bidir', () =>
        s.execOk(['iperf3', '-c', link.peerV4, '-p', '5401', '-t', String(Math.max(1, Math.round(opts.windowSec))), '--bidir', '-J'], { cgroup: APP_CGROUP, timeoutMs: (opts.windowSec + 20) * 1000 }),
      );
      await measure('udp64-flood', () => udpPps(s, link, 'egress', { secs: opts.windowSec, len: 64, realtime: false }));
    }
    await sleep((opts.intervalSec + 2) * 1000);
    if (exited.length) throw new Error(exited.join('; '));
    const peer = await linkIpBytes(s, link);
    const store = openDb(db, { readonly: true });
    const now = Math.floor(Date.now() / 1000);
    const rows = getTopApps(store, { since: 0, until: now + 3600, ifaces: [link.name] }, now);
    store.close();
    const stored = { tx: rows.reduce((a, r) => a + r.txBytes, 0), rx: rows.reduce((a, r) => a + r.rxBytes, 0) };
    const accuracy: AccuracyRow[] = (['tx', 'rx'] as const).map((d) => {
      const p = peer[d] - base[d];
      return { direction: d, stored: stored[d], peer: p, ratio: p ? stored[d] / p : NaN };
    });
    const per: Record<string, number[]> = {};
    const add = (k: string, v: number) => (per[k] ??= []).push(v);
    for (const w of windows) {
      if (w.phase === 'idle' || w.phase === 'trickle') continue;
      const idle = windows.find((x) => x.round === w.round && x.phase === 'idle')!;
      const trickleW = windows.find((x) => x.round === w.round && x.phase === 'trickle')!;
      if (w.nethogsPct) add(`nethogs:${w.phase}`, w.collectorPct / w.nethogsPct);
      add(`idle:${w.phase}`, w.collectorPct / idle.collectorPct);
      add(`trickle:${w.phase}`, w.collectorPct / trickleW.collectorPct);
      if (w.nethogsPct !== null && idle.nethogsPct) add(`nethogsIdle:${w.phase}`, w.nethogsPct / idle.nethogsPct);
    }
    const pick = (kind: string) => Object.fromEntries(Object.entries(per).filter(([k]) => k.startsWith(`${kind}:`)).map(([k, v]) => [k.slice(kind.length + 1), median(v)]));
    const collectorOverNethogs = pick('nethogs');
    const satC = pick('idle');
    const satT = pick('trickle');
    const satN = pick('nethogsIdle');
    const ranges = Object.fromEntries(Object.entries(per).map(([k, v]) => [k, { min: Math.min(...v), max: Math.max(...v) }]));
    return {
      intervalSec: opts.intervalSec,
      rounds,
      windows,
      ranges,
      collectorOverNethogs,
      saturationOverIdle: { collector: satC, nethogs: hasNethogs ? satN : null },
      saturationOverTrickle: satT,
      accuracy,
      nethogs: hasNethogs ? 'nethogs 0.8.7 (Debian), -t -C (TCP and UDP) -d INTERVAL on the link' : null,
    };
  } finally {
    for (const p of procs) s.kill(p.pid, 'SIGTERM');
    await Promise.race([Promise.all(procs.map((p) => p.done.catch(() => undefined))), sleep(5000)]);
    await servers.stop();
    for (const sfx of ['', '-wal', '-shm']) rmSync(db + sfx, { force: true });
  }
}
