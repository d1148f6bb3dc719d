// A node:test reporter that adds, at the end of the run, the wall time spent in each test
// folder. Files run one at a time (--test-concurrency=1), so a file's time is from the last
// event of the file before it (or the start) to its own last event: imports and process
// start-up included, not only the tests' own durations.
import { dirname, relative } from 'node:path';

export default async function* durations(source) {
  const start = Date.now();
  const files = new Map(); // file → time of its last event, in the order files appear
  for await (const ev of source) {
    const file = ev.data?.file;
    if (file) {
      files.delete(file);
      files.set(file, Date.now());
    }
  }
  const byFolder = new Map();
  let before = start;
  for (const [file, end] of [...files].sort((a, b) => a[1] - b[1])) {
    const folder = dirname(relative(process.cwd(), file));
    const f = byFolder.get(folder) ?? { ms: 0, files: 0 };
    byFolder.set(folder, { ms: f.ms + (end - before), files: f.files + 1 });
    before = end;
  }
  const width = Math.max(5, ...[...byFolder.keys()].map((k) => k.length));
  const line = (name, ms, n) => `# ${name.padEnd(width)} ${(ms / 1000).toFixed(1).padStart(7)} s${n === null ? '' : `  (${n} file${n === 1 ? '' : 's'})`}\n`;
  yield '# wall time per test folder\n';
  for (const [folder, f] of byFolder) yield line(folder, f.ms, f.files);
  yield line('total', Date.now() - start, null);
}
