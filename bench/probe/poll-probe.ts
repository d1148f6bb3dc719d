/**
 * Runs INSIDE the sandbox, as the collector does: reads our table `reps` times and
 * prints per-repetition timings as one JSON line.
 *   node --import tsx bench/probe/poll-probe.ts netlink|numeric|plain REPS
 * 'netlink' is the collector's own path now: collector/native/nftdump kept running
 * (NftdumpServer) + parseNftDump + its CgroupTracker (inotify-fed; refresh + resolve of
 * the ids read, cgroups marked stored as storePoll does), and, timed apart, the full
 * rescan the tracker runs every 5 minutes (walkCgroups). Every mode reads once untimed
 * first: the collector's first poll after start (JIT, start-up scan) is not its steady state.
 * 'numeric' is the previous path: `nft -j list` in the listing namespace
 * (collector/nft/numeric.ts) + parseTableSnapshot + a full scan reading every cgroup.procs.
 * 'plain' is `nft -j list` in the normal namespace + parse.
 * 'bpf' is the collector's path where the BPF program counts (issue 15): one batched read of the
 * pinned map through the running bpfcount (BpfCounterSource.read) + the tracker's refresh and
 * resolve of the ids read. The map must hold its entries already (bench/poll.ts fills it).
 *   node --import tsx bench/probe/poll-probe.ts bpf REPS PINDIR
 */
import { statSync } from 'node:fs';
import { NFTDUMP_BIN, NftdumpServer } from '../../collector/nft/counters';
import { BpfCounterSource } from '../../collector/sources/bpf-counters';
import { nftRunner } from '../../collector/nft/exec';
import { openNumericNs } from '../../collector/nft/numeric';
import { CgroupTracker, scanCgroups, walkCgroups } from '../../collector/sources/cgroups';
import { parseNftDump } from '../../lib/nft/dump';
import { parseTableSnapshot, type TableSnapshot } from '../../lib/nft/parse';

export interface ProbeRow {
  /** Getting the text: the helper or nft, spawn included. */
  listMs: number;
  parseMs: number;
  /** Cgroup ids to paths: the tracker's refresh + resolve (netlink) or a full scan (numeric). */
  walkMs: number;
  /** netlink only: the periodic full rescan, timed on its own (not part of a normal poll). */
  rescanMs: number;
  elements: number;
  numericIds: number;
}

const [mode, repsArg, pinDir] = process.argv.slice(2);
const reps = Number(repsArg ?? 10);
const ROOT = '/sys/fs/cgroup';
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const rows: ProbeRow[] = [];

const count = (snap: TableSnapshot) => ({ elements: snap.elements.length, numericIds: snap.elements.filter((e) => typeof e.cgroup === 'number').length });

if (mode === 'netlink') {
  const server = new NftdumpServer(NFTDUMP_BIN, 300_000);
  const tracker = new CgroupTracker(ROOT, { watch: true });
  for (let i = 0; i <= reps; i++) {
    let t = process.hrtime.bigint();
    const text = await server.dump();
    const listMs = ms(t);
    t = process.hrtime.bigint();
    const dump = parseNftDump(text);
    if (!dump) throw new Error('poll probe: no appnet table');
    const parseMs = ms(t);
    t = process.hrtime.bigint();
    tracker.refresh(Date.now());
    tracker.resolve(new Set(dump.snapshot.elements.map((e) => e.cgroup).filter((c): c is number => typeof c === 'number')), Date.now());
    const walkMs = ms(t);
    for (const c of tracker.seen.values()) c.stored = true;
    t = process.hrtime.bigint();
    walkCgroups(ROOT);
    if (i > 0) rows.push({ listMs, parseMs, walkMs, rescanMs: ms(t), ...count(dump.snapshot) });
    // Let inotify events and timers run between polls, as the collector's loop does.
    await new Promise((r) => setTimeout(r, 5));
  }
  tracker.close();
  server.close();
} else if (mode === 'bpf') {
  if (!pinDir) throw new Error('poll probe: bpf needs the pin directory');
  const tracker = new CgroupTracker(ROOT, { watch: true });
  const cgroupDir = (id: number) => {
    const c = tracker.seen.get(id);
    return c ? `${ROOT}/${c.path}` : null;
  };
  const { source } = await BpfCounterSource.open({ cgroupRoot: ROOT, pinDir, rootId: statSync(ROOT).ino, destinations: false, cgroupDir });
  try {
    for (let i = 0; i <= reps; i++) {
      let t = process.hrtime.bigint();
      const snap = await source.read();
      // read() is the helper's dump and its parse in one: the parse is not timed apart.
      const listMs = ms(t);
      t = process.hrtime.bigint();
      tracker.refresh(Date.now());
      tracker.resolve(new Set(snap.entries.map((e) => e.cgroupId).filter((c): c is number => typeof c === 'number')), Date.now());
      const walkMs = ms(t);
      for (const c of tracker.seen.values()) c.stored = true;
      const cgroups = new Set(snap.entries.map((e) => e.cgroupId)).size;
      if (i > 0) rows.push({ listMs, parseMs: 0, walkMs, rescanMs: 0, elements: snap.entries.length, numericIds: cgroups });
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    tracker.close();
    source.close();
  }
} else {
  const ns = mode === 'numeric' ? await openNumericNs('/run/appnet-bench') : null;
  const nft = nftRunner({ numericNs: ns?.file ?? null, timeoutMs: 300_000 });
  for (let i = mode === 'numeric' ? 0 : 1; i <= reps; i++) {
    let t = process.hrtime.bigint();
    const text = await nft.listTable();
    if (text === null) throw new Error('poll probe: no appnet table');
    const listMs = ms(t);
    t = process.hrtime.bigint();
    const snap = parseTableSnapshot(text);
    const parseMs = ms(t);
    t = process.hrtime.bigint();
    const walkMs = mode === 'numeric' ? (scanCgroups(ROOT), ms(t)) : 0;
    if (i > 0) rows.push({ listMs, parseMs, walkMs, rescanMs: 0, ...count(snap) });
  }
  await ns?.close();
}
process.stdout.write(JSON.stringify(rows) + '\n');
