/**
 * Reports cannot stall the dashboard (#17.5): they are read on worker threads with row and
 * byte limits and streamed, so /api/status answers while ten year-long reports run; the
 * 5-year cap holds when only `since` is given. Against the production build over real HTTP,
 * on a store with a year of history for some 40 apps.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseCsv } from '../parse-csv';
import { createReportPool } from '../../server/report-pool';
import { seedDb } from '../fixtures/seed';
import { shareableDir, shareDb, startDashboard, type Dashboard } from '../e2e/helpers';

let dir: string;
let db: string;
let dash: Dashboard;
const NOW = Math.floor(Date.now() / 1000);
const YEAR_AGO = NOW - 365 * 86400;

before(async () => {
  dir = shareableDir('appnet-reports-');
  db = join(dir, 'appnet.db');
  seedDb(db, { now: NOW, days: 365, extraApps: 40 });
  shareDb(db);
  dash = await startDashboard({ db });
});
after(async () => {
  await dash?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string): Promise<Response> => fetch(`${dash.url}${path}`, { headers: { Authorization: `Bearer ${dash.token}` } });

test('since alone more than 5 years back is refused with one sentence, like since and until together', async () => {
  for (const path of [`/api/usage?since=${NOW - 6 * 366 * 86400}`, `/api/export.csv?since=${NOW - 6 * 366 * 86400}`, `/api/usage?since=0&until=${NOW}`]) {
    const r = await get(path);
    assert.equal(r.status, 400, path);
    const body = (await r.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'bad_request');
    assert.match(body.error.message, /at most 5 years/);
  }
});

test('a year-long CSV is streamed whole and agrees with the JSON', async () => {
  const csv = await get(`/api/export.csv?since=${YEAR_AGO}&by=app,day`);
  assert.equal(csv.status, 200);
  assert.equal(csv.headers.get('content-length'), null, 'streamed, not built whole first');
  const rows = parseCsv(await csv.text());
  const json = (await (await get(`/api/usage?since=${YEAR_AGO}&by=app,day`)).json()) as { rows: Array<{ totalBytes: number }> };
  assert.equal(rows.length - 1, json.rows.length);
  assert.ok(json.rows.length > 10_000, `a heavy report: ${json.rows.length} rows`);
  const total = rows.slice(1).reduce((n, r) => n + Number(r[7]), 0);
  assert.equal(total, json.rows.reduce((n, r) => n + r.totalBytes, 0));
});

test('/api/status answers while ten year-long reports run', async () => {
  // On the request thread (before), each report held it for its whole read, and status got
  // in only between two reports, about 3 times per report; on workers it answers throughout.
  let pending = 10;
  const reports = Array.from({ length: 10 }, (_, i) =>
    get(`/api/${i % 2 ? 'usage' : 'export.csv'}?since=${YEAR_AGO}&by=app,day`).then(async (r) => {
      await r.arrayBuffer();
      pending--;
      return r.status;
    }),
  );
  let answered = 0;
  while (pending > 0) {
    const s = await get('/api/status');
    assert.equal(s.status, 200);
    await s.arrayBuffer();
    if (pending > 0) answered++;
  }
  const statuses = await Promise.all(reports);
  assert.deepEqual(statuses, Array(10).fill(200), 'two run at a time, eight wait their turn, all are answered');
  assert.ok(answered >= 100, `status answered ${answered} times while the reports ran (at least 10 per report)`);
});

test('over the row or byte limit a report is refused with a sentence (the runner, on a real worker)', async () => {
  const job = { dbPath: db, query: { by: 'app,day' as const, since: YEAR_AGO }, now: NOW };
  const rows = await createReportPool({ limits: { rows: 1000, bytes: 1e9 } }).run({ ...job, format: 'csv' }, new AbortController().signal);
  assert.equal(rows.ok, false);
  assert.ok(!rows.ok && rows.status === 413 && /too large .*rows, at most 1000/.test(rows.message), JSON.stringify(rows));
  const bytes = await createReportPool({ limits: { rows: 1e9, bytes: 100_000 } }).run({ ...job, format: 'json' }, new AbortController().signal);
  assert.ok(!bytes.ok && bytes.status === 413 && bytes.code === 'too_large', JSON.stringify(bytes));
  const fine = await createReportPool().run({ ...job, format: 'csv' }, new AbortController().signal);
  assert.ok(fine.ok);
  assert.ok((await new Response(fine.body).text()).startsWith('since,until,app,'));
});
