/**
 * The cost of the app page's live connections: an app in the sandbox holds N TCP connections
 * (and the peer their other ends, in its own namespace), and the collector's listing — sockdiag
 * over sock_diag, parsed, grouped, the app's bounded snapshot stored — is timed inside the
 * sandbox (bench/probe/live-probe.ts), for N = 100, 1,000 and 5,000. The collector lists every
 * 2 s while somebody looks, never otherwise.
 * Run: node --import tsx bench/live.ts (root). Figures only (no test asserts on them);
 * results in bench/live.json.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSandbox } from '../collector/sandbox/sandbox';
import { systemdSkeleton } from '../collector/sandbox/workloads';
import { waitListening } from '../harness/peer';
import { median } from './stats';
import type { LiveProbeRow } from './probe/live-probe';

const HERE = dirname(fileURLToPath(import.meta.url));
const PROBE = join(HERE, 'probe', 'live-probe.ts');
const APP = 'system.slice/holder.service';
const SIZES = [100, 1000, 5000];

// The app and the peer: N connections opened and held (inline, so the bench needs no test code).
const HOLDER = `
const net = require('node:net');
const fs = require('node:fs');
const [mode, host, port, n, ready] = process.argv.slice(1);
if (mode === 'serve') net.createServer((s) => s.on('error', () => {})).listen(Number(port), host);
else {
  let up = 0;
  for (let i = 0; i < Number(n); i++) {
    const s = net.connect(Number(port), host, () => { s.write('x'); if (++up === Number(n)) fs.writeFileSync(ready, 'up'); });
    s.on('error', (e) => { console.error(e.message); process.exit(1); });
  }
  setInterval(() => {}, 1 << 30);
}`;

const dir = mkdtempSync(join(tmpdir(), 'appnet-live-bench-'));
const s = await createSandbox();
const out: Record<string, unknown> = {};
try {
  const link = await s.addLink({ name: 'wlan0', subnet: 7 });
  systemdSkeleton(s);
  await s.spawn([process.execPath, '-e', HOLDER, 'serve', link.peerV4, '7801', '0'], { net: 'peer' });
  await waitListening(s, 7801, { net: 'peer' });
  for (const n of SIZES) {
    const ready = join(dir, `up-${n}`);
    const holder = await s.spawn([process.execPath, '-e', HOLDER, 'hold', link.peerV4, '7801', String(n), ready], { cgroup: APP });
    for (let i = 0; i < 600 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 100));
    if (!existsSync(ready)) throw new Error(`the app did not get its ${n} connections up within 60 s`);
    const r = await s.exec([process.execPath, '--import', 'tsx', PROBE, join(dir, `live-${n}.db`), APP, '20'], { timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`live probe failed: ${r.stderr}`);
    const rows = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as LiveProbeRow[];
    out[String(n)] = {
      socketsListed: rows[0].sockets,
      listMs: Number(median(rows.map((x) => x.listMs)).toFixed(2)),
      totalMs: Number(median(rows.map((x) => x.totalMs)).toFixed(2)),
      cpuMs: Number(median(rows.map((x) => x.cpuMs)).toFixed(2)),
    };
    process.stderr.write(`${n} connections: ${JSON.stringify(out[String(n)])}\n`);
    s.kill(holder.pid, 'SIGTERM');
    await holder.done;
  }
} finally {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
}
writeFileSync(join(HERE, 'live.json'), `${JSON.stringify({ measuredAt: new Date().toISOString(), medianOf: 20, bySockets: out }, null, 2)}\n`);
