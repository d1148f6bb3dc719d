/**
 * Runs INSIDE the sandbox, as the collector would: lists our table with execFile
 * `reps` times and parses it, printing per-repetition timings as one JSON line.
 *   node --import tsx bench/probe/poll-probe.ts plain|numeric REPS
 */
import { execFile } from 'node:child_process';
import { cgroupIdMap } from '../cgroups';
import { parseTableSnapshot } from '../../lib/nft/parse';

const [mode, repsArg] = process.argv.slice(2);
const reps = Number(repsArg ?? 10);
const argv =
  mode === 'numeric'
    ? ['unshare', '-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs appnet-empty /sys/fs/cgroup && exec nft -j list table inet appnet']
    : ['nft', '-j', 'list', 'table', 'inet', 'appnet'];

function list(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(argv[0], argv.slice(1), { maxBuffer: 512 << 20, timeout: 300_000 }, (err, out) => (err ? reject(err) : resolve(out)));
  });
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const rows: Array<{ listMs: number; parseMs: number; walkMs: number; elements: number; numericIds: number }> = [];
for (let i = 0; i < reps; i++) {
  let t = process.hrtime.bigint();
  const text = await list();
  const listMs = ms(t);
  t = process.hrtime.bigint();
  const snap = parseTableSnapshot(text);
  const parseMs = ms(t);
  t = process.hrtime.bigint();
  const walkMs = mode === 'numeric' ? (cgroupIdMap('/sys/fs/cgroup'), ms(t)) : 0;
  rows.push({ listMs, parseMs, walkMs, elements: snap.elements.length, numericIds: snap.elements.filter((e) => typeof e.cgroup === 'number').length });
}
process.stdout.write(JSON.stringify(rows) + '\n');
