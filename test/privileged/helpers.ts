/** Shared pieces of the real-kernel tests: a collector in the sandbox, ground truth from the peer, store reads. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Running, Sandbox } from '../../collector/sandbox/sandbox';

export const ROOT = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..');
export const TRAFFIC = join(ROOT, 'collector', 'sandbox', 'traffic.mjs');
export const APPNET = join(ROOT, 'bin', 'appnet.mjs');

/** tempDir makes a scratch directory removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'appnet-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** startCollector runs `appnet collect` inside the sandbox. */
export function startCollector(s: Sandbox, db: string, opts: { interval?: number; elementTimeout?: number } = {}): Promise<Running> {
  return s.spawn([process.execPath, APPNET, 'collect', '--db', db, '--interval', String(opts.interval ?? 1), '--element-timeout', String(opts.elementTimeout ?? 60)]);
}

/** waitForPoll waits until the collector finished a successful poll that started after `after` (unix ms). */
export async function waitForPoll(db: string, after: number, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (existsSync(db)) {
      try {
        const d = new Database(db, { readonly: true });
        const r = d.prepare("SELECT last_run AS t, ok FROM collector_status WHERE source = 'poll'").get() as { t: number; ok: number } | undefined;
        d.close();
        if (r && r.t > after && r.ok === 1) return;
      } catch {
        /* not migrated yet */
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no successful poll after ${new Date(after).toISOString()} within ${timeoutMs} ms`);
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

/**
 * peerTruth installs byte counters in the PEER namespace, per TCP/UDP port and
 * direction: what the far end measured, independent of appnet.
 */
export async function peerTruth(s: Sandbox, ports: number[]): Promise<() => Promise<Map<string, { bytes: number; packets: number }>>> {
  const lines = ['table inet truth {', '  chain in { type filter hook input priority 0; policy accept;'];
  for (const p of ports) lines.push(`    tcp dport ${p} counter comment "in-${p}"`, `    udp dport ${p} counter comment "in-${p}u"`);
  lines.push('  }', '  chain out { type filter hook output priority 0; policy accept;');
  for (const p of ports) lines.push(`    tcp sport ${p} counter comment "out-${p}"`, `    udp sport ${p} counter comment "out-${p}u"`);
  lines.push('  }', '}');
  await s.execOk(['nft', '-f', '-'], { net: 'peer', input: lines.join('\n') + '\n' });
  return async () => {
    const out = JSON.parse(await s.execOk(['nft', '-j', 'list', 'table', 'inet', 'truth'], { net: 'peer' })) as { nftables: Array<Record<string, { comment?: string; expr?: Array<Record<string, { bytes?: number; packets?: number }>> }>> };
    const m = new Map<string, { bytes: number; packets: number }>();
    for (const item of out.nftables) {
      const rule = item.rule;
      if (!rule?.comment) continue;
      const c = rule.expr?.find((e) => e.counter)?.counter;
      if (c) m.set(rule.comment, { bytes: c.bytes ?? 0, packets: c.packets ?? 0 });
    }
    return m;
  };
}

/** within asserts |a-b| ≤ pct% of b, with a readable message. */
export function within(actual: number, expected: number, pct: number, what: string): void {
  const diff = Math.abs(actual - expected);
  if (expected === 0 ? actual !== 0 : diff > (expected * pct) / 100) {
    throw new Error(`${what}: appnet counted ${actual}, ground truth ${expected} (off by ${expected ? ((100 * diff) / expected).toFixed(2) : '∞'}%, allowed ${pct}%)`);
  }
}

/** sleep waits ms. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** waitListening waits until something in the sandbox (or its peer) listens on a port. */
export async function waitListening(s: Sandbox, port: number, opts: { udp?: boolean; net?: 'main' | 'peer' } = {}): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const out = await s.execOk(['ss', opts.udp ? '-lunH' : '-ltnH'], { net: opts.net });
    if (out.split('\n').some((l) => new RegExp(`[:\\]]${port}\\s`).test(l))) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on ${opts.udp ? 'udp' : 'tcp'} port ${port} after 10 s`);
}

export { systemdSkeleton } from '../../collector/sandbox/workloads';
