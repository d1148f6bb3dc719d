/** Shared pieces of the real-kernel tests: a collector in the sandbox, ground truth from the peer, store reads. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSandbox, type Link, type Running, type Sandbox } from '../../collector/sandbox/sandbox';
import { systemdSkeleton } from '../../collector/sandbox/workloads';
import { APPNET, waitForPoll } from '../../harness/collector';
import { sleep } from '../../harness/peer';
import { nicLike } from '../../harness/wire';

export { APPNET, waitForPoll } from '../../harness/collector';
export { peerTruth, sleep, waitListening } from '../../harness/peer';

export const ROOT = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..');
export const TRAFFIC = join(ROOT, 'collector', 'sandbox', 'traffic.mjs');

/** tempDir makes a scratch directory removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'appnet-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The per-app counter sources the real-kernel tests run on. */
export const COUNTERS = ['bpf', 'nft'] as const;
export type Counter = (typeof COUNTERS)[number];

/** startCollector runs `appnet collect` inside the sandbox, counting with the given source (default: auto). */
export function startCollector(s: Sandbox, db: string, opts: { interval?: number; elementTimeout?: number; counter?: Counter | 'auto' } = {}): Promise<Running> {
  return s.spawn([process.execPath, APPNET, 'collect', '--db', db, '--interval', String(opts.interval ?? 1), '--element-timeout', String(opts.elementTimeout ?? 60), '--counter', opts.counter ?? 'auto']);
}

/** countersDetail is what the collector's last reading of its counters recorded (source, set and map fill, how it read). */
export function countersDetail(db: string): { source: string; via: string; setFill: Record<string, { count: number; size: number | null }>; mapFill: Record<string, { count: number; size: number }> | null } {
  const d = new Database(db, { readonly: true });
  const row = d.prepare("SELECT detail FROM collector_status WHERE source = 'counters'").get() as { detail: string };
  d.close();
  return JSON.parse(row.detail);
}

/**
 * nicLikeCollector starts a sandbox with one link set up like a NIC (harness/wire.ts), the cgroups
 * of a systemd host and the collector polling every second (counting with `counter`, default
 * auto), and waits for its first poll.
 */
export async function nicLikeCollector(db: string, name: string, opts: { counter?: Counter | 'auto' } = {}): Promise<{ s: Sandbox; link: Link }> {
  const s = await createSandbox();
  try {
    const link = await s.addLink({ name, subnet: 1 });
    await nicLike(s, link);
    systemdSkeleton(s);
    const c = await startCollector(s, db, { interval: 1, counter: opts.counter });
    c.done.then((r) => {
      if (r.code !== null && r.code !== 0) process.stderr.write(`collector exited ${r.code}: ${r.stderr}\n`);
    });
    await waitForPoll(db, Date.now());
    return { s, link };
  } catch (err) {
    await s.close();
    throw err;
  }
}

export interface Totals {
  rx: number;
  tx: number;
  rxPackets: number;
  txPackets: number;
}

/** appTotals sums everything stored for an app key (optionally on one interface), from the finest roll-up. */
export function appTotals(db: string, appKey: string, iface?: string): Totals {
  const d = new Database(db, { readonly: true });
  const r = d
    .prepare(
      `SELECT COALESCE(SUM(u.rx_bytes),0) AS rx, COALESCE(SUM(u.tx_bytes),0) AS tx, COALESCE(SUM(u.rx_packets),0) AS rxPackets, COALESCE(SUM(u.tx_packets),0) AS txPackets
       FROM usage_10s u JOIN series s ON s.id = u.series_id JOIN apps a ON a.id = s.app_id JOIN interfaces i ON i.id = s.iface_id
       WHERE a.app_key = ? AND (? IS NULL OR i.name = ?)`,
    )
    .get(appKey, iface ?? null, iface ?? null) as Totals;
  d.close();
  return r;
}

/** ifaceTotals sums all apps (unattributed included) on one interface. */
export function ifaceTotals(db: string, iface: string): Totals {
  const d = new Database(db, { readonly: true });
  const r = d
    .prepare(
      `SELECT COALESCE(SUM(u.rx_bytes),0) AS rx, COALESCE(SUM(u.tx_bytes),0) AS tx, COALESCE(SUM(u.rx_packets),0) AS rxPackets, COALESCE(SUM(u.tx_packets),0) AS txPackets
       FROM usage_10s u JOIN series s ON s.id = u.series_id JOIN interfaces i ON i.id = s.iface_id WHERE i.name = ?`,
    )
    .get(iface) as Totals;
  d.close();
  return r;
}

/** within asserts |a-b| ≤ pct% of b, with a readable message. */
export function within(actual: number, expected: number, pct: number, what: string): void {
  const diff = Math.abs(actual - expected);
  if (expected === 0 ? actual !== 0 : diff > (expected * pct) / 100) {
    throw new Error(`${what}: appnet counted ${actual}, ground truth ${expected} (off by ${expected ? ((100 * diff) / expected).toFixed(2) : '∞'}%, allowed ${pct}%)`);
  }
}

export { systemdSkeleton } from '../../collector/sandbox/workloads';

/** childPid finds the running child of a process with the given command name; null when there is none. */
export function childPid(parent: number, comm: string): number | null {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${parent}/task`);
  } catch {
    return null;
  }
  for (const t of tasks) {
    let kids: string[] = [];
    try {
      kids = readFileSync(`/proc/${parent}/task/${t}/children`, 'utf8').split(' ').filter(Boolean);
    } catch {
      continue;
    }
    for (const k of kids) {
      try {
        if (readFileSync(`/proc/${k}/comm`, 'utf8').trim() === comm) return Number(k);
      } catch {
        /* ended meanwhile */
      }
    }
  }
  return null;
}

/** waitChild waits until the process has a child of that name other than `not` (a restarted helper). */
export async function waitChild(parent: number, comm: string, not: number | null): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const pid = childPid(parent, comm);
    if (pid !== null && pid !== not) return pid;
    await sleep(50);
  }
  throw new Error(`no ${comm} under process ${parent} (other than ${not}) within 10 s`);
}
