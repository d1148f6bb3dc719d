/** `appnet export` run as a user runs it, on a seeded store: CSV and JSON agree with the bytes written. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { parseCsv } from '../parse-csv';
import type { ReportJson } from '../../lib/report';
import { seedDb } from '../fixtures/seed';

const ROOT = resolve(import.meta.dirname ?? '.', '../..');
const dir = mkdtempSync(join(tmpdir(), 'appnet-export-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const now = Math.floor(Date.now() / 1000);
const s = seedDb(join(dir, 'a.db'), { now, days: 9 });
const appnet = (args: string[]) => execFileSync(process.execPath, [join(ROOT, 'bin/appnet.mjs'), 'export', '--db', s.path, ...args], { encoding: 'utf8' });

test('appnet export writes the per-app, per-interface CSV with exact bytes', () => {
  const since = String(now - 7 * 86400);
  const until = String(now);
  const rows = parseCsv(appnet(['--since', since, '--until', until, '--by', 'app,iface']));
  assert.deepEqual(rows[0], ['since', 'until', 'app', 'app_name', 'kind', 'iface', 'network', 'rx_bytes', 'tx_bytes', 'total_bytes', 'rx_packets', 'tx_packets']);
  assert.match(rows[1][0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
  for (const r of rows.slice(1)) {
    const want = s.sum({ since: now - 7 * 86400, until: now, appKey: r[2], ifaces: [r[5]] });
    assert.deepEqual([Number(r[7]), Number(r[8])], [want.rx, want.tx], `${r[2]} on ${r[5]}`);
  }
});

test('appnet export --format json matches its CSV and writes to a file with -o', () => {
  const out = join(dir, 'r.csv');
  const span = ['--since', String(now - 86400), '--until', String(now), '--metered', '1'];
  appnet([...span, '-o', out]);
  const csv = parseCsv(readFileSync(out, 'utf8'));
  const json = JSON.parse(appnet([...span, '--format', 'json'])) as ReportJson;
  assert.deepEqual(csv.slice(1).map((r) => [r[2], Number(r[5])]), json.rows.map((r) => [r.appKey, r.rxBytes]));
  assert.equal(json.rows[0].appKey, 'app:firefox');
  const recent = parseCsv(appnet(['--since', '2h', '--by', 'app,day']));
  assert.ok(recent.length > 1 && recent.length <= 1 + 2 * 7, 'a duration counts back from now');
});

test('appnet export explains bad options and exits non-zero', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/appnet.mjs'), 'export', '--db', s.path, '--since', 'yesterday', '--by', 'iface'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--since: not a time/);
  assert.match(r.stderr, /--by: by must be one of app \| app,iface \| app,day/);
});

test('the help of --by lists exactly the groupings the report accepts', async () => {
  const { BY_HELP } = await import('../../collector/commands/export');
  const { BY } = await import('../../lib/report');
  assert.equal(BY_HELP, BY.join(' | '));
});
