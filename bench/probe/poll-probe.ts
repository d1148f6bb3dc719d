/**
 * Runs INSIDE the sandbox, as the collector does: lists our table `reps` times and
 * parses it, printing per-repetition timings as one JSON line.
 *   node --import tsx bench/probe/poll-probe.ts plain|numeric REPS
 * 'numeric' is the collector's own path: collector/nft/numeric.ts (a mount namespace with
 * an empty /sys/fs/cgroup) and nftRunner.listTable, plus its cgroup scan for id → path.
 */
import { nftRunner } from '../../collector/nft/exec';
import { openNumericNs } from '../../collector/nft/numeric';
import { scanCgroups } from '../../collector/sources/cgroups';
import { parseTableSnapshot } from '../../lib/nft/parse';

const [mode, repsArg] = process.argv.slice(2);
const reps = Number(repsArg ?? 10);
const ns = mode === 'numeric' ? await openNumericNs('/run/appnet-bench') : null;
const nft = nftRunner({ numericNs: ns?.file ?? null, timeoutMs: 300_000 });

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const rows: Array<{ listMs: number; parseMs: number; walkMs: number; elements: number; numericIds: number }> = [];
for (let i = 0; i < reps; i++) {
  let t = process.hrtime.bigint();
  const text = await nft.listTable();
  if (text === null) throw new Error('poll probe: no appnet table');
  const listMs = ms(t);
  t = process.hrtime.bigint();
  const snap = parseTableSnapshot(text);
  const parseMs = ms(t);
  t = process.hrtime.bigint();
  const walkMs = mode === 'numeric' ? (scanCgroups('/sys/fs/cgroup'), ms(t)) : 0;
  rows.push({ listMs, parseMs, walkMs, elements: snap.elements.length, numericIds: snap.elements.filter((e) => typeof e.cgroup === 'number').length });
}
await ns?.close();
process.stdout.write(JSON.stringify(rows) + '\n');
