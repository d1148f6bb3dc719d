/**
 * What the soak reads from outside the collector, between polls: its memory and open
 * files from /proc, the store's size from its files and pages, and the collector's own
 * status rows (set fill, remembered cgroups, poll time), as the Health page shows them.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Sandbox } from '../collector/sandbox/sandbox';

/** COLLECTOR_CG is the sandbox cgroup the soak runs the collector in. */
export const COLLECTOR_CG = 'system.slice/appnet.service';

export interface SoakSample {
  /** Seconds since the collector started. */
  t: number;
  rssKb: number;
  rssAnonKb: number;
  fds: number;
  /** Per-app counters (acct_in + acct_out, or the BPF map's entries), as the collector's last poll read them. */
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
export function collectorPid(s: Sandbox): number | null {
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

export interface StatusDetail {
  elements?: number;
  setFill?: Record<string, { count: number; size: number | null }>;
  /** The BPF counter map's fill, when the BPF program counts per app. */
  mapFill?: Record<string, { count: number; size: number | null }> | null;
  tracked?: number;
  cgroups?: number;
}

/** readStatus reads the collector's status rows and the store's logical size. */
export function readStatus(db: string): { detail: Map<string, StatusDetail>; pollMs: number; logicalBytes: number } {
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

/** sample takes one reading of the collector and its store. */
export function sample(s: Sandbox, pid: number, db: string, t: number, churned: number): SoakSample {
  const st = readStatus(db);
  const fill = st.detail.get('counters')?.setFill ?? {};
  const map = st.detail.get('counters')?.mapFill ?? {};
  const cg = st.detail.get('cgroups') ?? {};
  return {
    t,
    rssKb: procStatusKb(pid, 'VmRSS'),
    rssAnonKb: procStatusKb(pid, 'RssAnon'),
    fds: readdirSync(`/proc/${pid}/fd`).length,
    setElements: (fill.acct_in?.count ?? 0) + (fill.acct_out?.count ?? 0) + (map.counts?.count ?? 0),
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
export function storedFor(db: string, iface: string, cgroupLike: string | null): { rx: number; tx: number; txPackets: number } {
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


/** unattributedTxPackets is what the store holds on a link for traffic of no socket (ND, MLD). */
export function unattributedTxPackets(db: string, iface: string): number {
  const d = new Database(db, { readonly: true });
  try {
    const r = d
      .prepare(
        `SELECT COALESCE(SUM(u.tx_packets),0) AS p FROM usage_10s u JOIN series s ON s.id = u.series_id JOIN apps a ON a.id = s.app_id
         JOIN interfaces i ON i.id = s.iface_id WHERE i.name = ? AND a.app_key = '(unattributed)'`,
      )
      .get(iface) as { p: number };
    return r.p;
  } finally {
    d.close();
  }
}

/** storeRows counts the rows of the tables that grow with time or churn. */
export function storeRows(db: string): Record<string, number> {
  const d = new Database(db, { readonly: true });
  try {
    const count = (t: string) => (d.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
    return Object.fromEntries(['cgroups', 'apps', 'series', 'counter_state', 'usage_10s', 'usage_1m', 'events'].map((t) => [t, count(t)]));
  } finally {
    d.close();
  }
}
