/**
 * Figure 4: poll cost against the number of counter elements. What the collector does
 * now (**netlink**): collector/native/nftdump dumps the table over netlink (ids stay
 * numbers), parseNftDump, and the inotify-fed cgroup tracker maps ids to paths without
 * walking the tree. Measured next to it, alternately at each size: the previous path
 * (**numeric**: `nft -j list table` in a mount namespace with an empty /sys/fs/cgroup so
 * nft prints ids, parseTableSnapshot, a full cgroup scan reading every cgroup.procs),
 * and plain `nft -j list` (nft 1.0.6 walks /sys/fs/cgroup once per element to print
 * paths: elements × cgroups).
 */
import { statSync } from 'node:fs';
import type { Sandbox } from '../collector/sandbox/sandbox';
import { buildBpfCounter, fillCounts } from './bpf';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appCgroup, elementCommands, makeApps } from './cgroups';
import { accounting, applyNft, dropTable } from './rulesets';
import { summarize, type Summary } from './stats';
import type { ProbeRow } from './probe/poll-probe';

/** The probe's own pin directory on the sandbox's BPF filesystem. */
const BPF_PIN = '/sys/fs/bpf/appnet-poll';
const PROBE = join(dirname(fileURLToPath(import.meta.url)), 'probe', 'poll-probe.ts');

/** probe runs bench/probe/poll-probe.ts inside the sandbox (as the collector would run) and returns its timings. */
async function probe(s: Sandbox, mode: 'netlink' | 'plain' | 'numeric' | 'bpf', reps: number, timeoutMs: number): Promise<ProbeRow[]> {
  const out = await s.execOk([process.execPath, '--import', 'tsx', PROBE, mode, String(reps), BPF_PIN], { timeoutMs });
  return JSON.parse(out.trim().split('\n').pop() ?? '[]') as ProbeRow[];
}

export interface PollPoint {
  elements: number;
  cgroups: number;
  /** What the collector does: netlink dump + parse + tracker refresh/resolve, ms. */
  netlink?: Summary;
  netlinkDumpMs?: Summary;
  netlinkParseMs?: Summary;
  trackerMs?: Summary;
  /** The tracker's full rescan (readdir + stat), run every 5 minutes, not in a normal poll. */
  rescanMs?: Summary;
  /** Previous path: numeric JSON listing + parse + full cgroup scan, ms. */
  numeric: Summary;
  numericListMs: Summary;
  parseMs: Summary;
  idWalkMs: Summary;
  /**
   * Where the BPF program counts: one batched read of its map through the running bpfcount
   * (dump and parse) + the tracker's refresh and resolve, ms; `elements` map entries (one per
   * cgroup and direction). Absent without the BPF counter built.
   */
  bpf?: Summary;
  bpfReadMs?: Summary;
  bpfTrackerMs?: Summary;
  bpfEntries?: number;
  /** Plain `nft -j list` + parse, ms; null where it was not run (too slow to be useful). */
  plain: Summary | null;
  plainNote?: string;
}

export interface PollResult {
  reps: number;
  points: PollPoint[];
  /** plain ÷ numeric at the largest size where both ran. */
  ratio: { elements: number; plainOverNumeric: number } | null;
  /** numeric ÷ netlink (medians) at the largest size. */
  netlinkGain?: { elements: number; numericOverNetlink: number };
  /** Why there is no BPF row, when there is none. */
  bpfMissing?: string;
}

/**
 * benchPoll measures the poll at each size (elements = cgroups, one element per app
 * and direction counted as one each). Plain listings run only while they stay under
 * `plainBudgetMs` per listing, extrapolated beyond.
 */
export async function benchPoll(s: Sandbox, opts: { sizes: number[]; reps: number; plainBudgetMs: number; log?: (l: string) => void }): Promise<PollResult> {
  const points: PollPoint[] = [];
  let plainTooSlow = false;
  const built = buildBpfCounter();
  const bpfOn = 'obj' in built;
  try {
    await applyNft(s, [...dropTable(), ...accounting([2, 5])]);
    // Loads and pins the program's map (no entries yet) for the BPF rows.
    if (bpfOn) await probe(s, 'bpf', 0, 600_000);
    let have = 0;
    for (const size of opts.sizes) {
      const apps = makeApps(s, size);
      await applyNft(s, elementCommands(apps.slice(have), 'wwan0', { sets: ['acct_out'] }));
      // One entry each way per cgroup on the loopback, as after a packet each way.
      if (bpfOn) await fillCounts(s, `${BPF_PIN}/counts`, apps.slice(have).map((c) => statSync(s.cgroupPath(c), { bigint: true }).ino), 1);
      have = size;
      // A/B: the current and the previous path alternate, in halves, so both see the same load.
      const half = Math.max(1, Math.ceil(opts.reps / 2));
      const rows: ProbeRow[] = [];
      const nl: ProbeRow[] = [];
      const bp: ProbeRow[] = [];
      for (let round = 0; round < 2; round++) {
        nl.push(...(await probe(s, 'netlink', half, 600_000)));
        if (bpfOn) bp.push(...(await probe(s, 'bpf', half, 600_000)));
        rows.push(...(await probe(s, 'numeric', half, 600_000)));
      }
      for (const r of bp) if (r.numericIds !== size) throw new Error(`poll bench: expected ${size} cgroups in the BPF map, read ${r.numericIds}`);
      for (const r of [...rows, ...nl]) {
        if (r.elements !== size || r.numericIds !== size) throw new Error(`poll bench: expected ${size} numeric elements, parsed ${r.elements} (${r.numericIds} numeric)`);
      }
      const numeric = rows.map((r) => r.listMs + r.parseMs + r.walkMs);
      const lists = rows.map((r) => r.listMs);
      const parses = rows.map((r) => r.parseMs);
      const walks = rows.map((r) => r.walkMs);
      let plain: Summary | null = null;
      let plainNote: string | undefined;
      if (!plainTooSlow) {
        try {
          const first = await probe(s, 'plain', 1, opts.plainBudgetMs * 20);
          let xs = first.map((r) => r.listMs + r.parseMs);
          if (xs[0] < opts.plainBudgetMs) xs = (await probe(s, 'plain', Math.min(opts.reps, 5), opts.plainBudgetMs * 20)).map((r) => r.listMs + r.parseMs);
          else plainTooSlow = true;
          plain = summarize(xs);
        } catch {
          plainTooSlow = true;
          plainNote = `killed after ${(opts.plainBudgetMs * 20) / 1000} s`;
        }
      } else plainNote = 'not run: the previous size already exceeded the time budget';
      const pt: PollPoint = {
        elements: size,
        cgroups: size,
        netlink: summarize(nl.map((r) => r.listMs + r.parseMs + r.walkMs)),
        netlinkDumpMs: summarize(nl.map((r) => r.listMs)),
        netlinkParseMs: summarize(nl.map((r) => r.parseMs)),
        trackerMs: summarize(nl.map((r) => r.walkMs)),
        rescanMs: summarize(nl.map((r) => r.rescanMs)),
        numeric: summarize(numeric),
        numericListMs: summarize(lists),
        parseMs: summarize(parses),
        idWalkMs: summarize(walks),
        plain,
        plainNote,
        ...(bp.length
          ? {
              bpf: summarize(bp.map((r) => r.listMs + r.walkMs)),
              bpfReadMs: summarize(bp.map((r) => r.listMs)),
              bpfTrackerMs: summarize(bp.map((r) => r.walkMs)),
              bpfEntries: bp[0].elements,
            }
          : {}),
      };
      opts.log?.(`  poll ${size}: netlink p95 ${pt.netlink!.p95.toFixed(1)} ms, numeric p95 ${pt.numeric.p95.toFixed(1)} ms, plain ${plain ? `${plain.median.toFixed(0)} ms` : 'skipped'}`);
      points.push(pt);
    }
  } finally {
    await applyNft(s, dropTable());
  }
  const both = points.filter((p) => p.plain);
  const last = both[both.length - 1];
  const big = points[points.length - 1];
  return {
    reps: opts.reps,
    points,
    ratio: last ? { elements: last.elements, plainOverNumeric: last.plain!.median / last.numeric.median } : null,
    netlinkGain: big?.netlink ? { elements: big.elements, numericOverNetlink: big.numeric.median / big.netlink.median } : undefined,
    bpfMissing: 'missing' in built ? built.missing : undefined,
  };
}

/** APP_NAME_EXAMPLE documents the cgroup naming used (for the report). */
export const APP_NAME_EXAMPLE = appCgroup(0);
