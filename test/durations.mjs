// A node:test reporter that adds, at the end of the run, the time spent in each test folder:
// the sum of its files' durations as the runner measured them (each file runs in a process
// of its own: start-up and imports included). With files run in parallel the folders add up
// to more than the wall time, which is given too.
import { dirname, relative } from 'node:path';

export default async function* durations(source) {
  const start = Date.now();
  const byFolder = new Map();
  for await (const ev of source) {
    if (ev.type !== 'test:complete' || !ev.data.file || ev.data.name !== ev.data.file) continue;
    const folder = dirname(relative(process.cwd(), ev.data.file));
    const f = byFolder.get(folder) ?? { ms: 0, files: 0 };
    byFolder.set(folder, { ms: f.ms + (ev.data.details?.duration_ms ?? 0), files: f.files + 1 });
  }
  const names = [...byFolder.keys()].sort();
  const width = Math.max(10, ...names.map((k) => k.length));
  const line = (name, ms, n) => `# ${name.padEnd(width)} ${(ms / 1000).toFixed(1).padStart(7)} s${n === null ? '' : `  (${n} file${n === 1 ? '' : 's'})`}\n`;
  yield '# time per test folder\n';
  for (const name of names) yield line(name, byFolder.get(name).ms, byFolder.get(name).files);
  yield line('wall total', Date.now() - start, null);
}
