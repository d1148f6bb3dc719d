/**
 * The dashboard end to end: production build behind `appnet serve`, real headless Chromium,
 * a store seeded with six weeks of history through the collector's insert queries.
 * Screenshots go to test-results/ for a person to look at.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDb } from '../../db/open';
import { putSourceStatus } from '../../db/queries/status';
import { getOrCreateSeries, insertUsage } from '../../db/store/usage-write';
import { parseCsv } from '../parse-csv';
import type { ReportJson } from '../../lib/report';
import { seedDb, type Seeded } from '../fixtures/seed';
import { launchBrowser, screenshot, shareableDir, shareDb, startDashboard, type Browser, type Dashboard, loggedIn } from './helpers';

const near = (actual: number, want: number, what: string) =>
  assert.ok(Math.abs(actual - want) <= Math.max(1, want * 0.01), `${what}: shown ${actual}, expected ${want} (±1%)`);

describe('dashboard', () => {
  let dir: string;
  let seeded: Seeded;
  let dash: Dashboard;
  let b: Browser;

  before(async () => {
    dir = shareableDir('appnet-e2e-');
    seeded = seedDb(join(dir, 'appnet.db'), { now: Date.now() / 1000, days: 40 });
    shareDb(seeded.path);
    dash = await startDashboard({ db: seeded.path });
    b = await loggedIn(dash);
  });
  after(async () => {
    await b?.close();
    await dash?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = () => b.page.locator('[data-testid=app-table] tbody tr');
  const firstRow = async () => ({
    key: await rows().first().getAttribute('data-app-key'),
    bytes: Number(await rows().first().locator('td[data-bytes]').getAttribute('data-bytes')),
  });
  const shownTotal = async () => Number(await b.page.getByTestId('total').getAttribute('data-bytes'));

  test('overview, metered networks, last 24 h: the app that used wwan0 most is on top with its total', async () => {
    await b.page.goto(`${dash.url}/?period=24h&net=metered`);
    const top = await firstRow();
    assert.equal(top.key, 'app:firefox');
    const now = Date.now() / 1000;
    const want = seeded.sum({ since: now - 86400, until: now, appKey: 'app:firefox', ifaces: ['wwan0'] });
    near(top.bytes, want.rx + want.tx, 'Firefox on wwan0, 24 h');
    assert.match(await rows().first().innerText(), /firefox[\s\S]*(MiB|GiB)/);
    const all = seeded.sum({ since: now - 86400, until: now, ifaces: ['wwan0'] });
    near(await shownTotal(), all.rx + all.tx, 'wwan0 total, 24 h');
    assert.ok((await b.page.locator('tr.unattributed').count()) === 1, 'the unattributed bucket is listed');
    await screenshot(b.page, 'overview-metered-24h');
  });

  test('the network and period pickers change the numbers', async () => {
    const page = b.page;
    await page.getByLabel('Network').selectOption('all');
    await page.waitForURL(/net=all/);
    await page.locator('[data-testid=app-table] tbody tr[data-app-key="user:syncthing.service"]').first().waitFor();
    assert.equal((await firstRow()).key, 'user:syncthing.service');
    let now = Date.now() / 1000;
    let want = seeded.sum({ since: now - 86400, until: now });
    near(await shownTotal(), want.rx + want.tx, 'all networks, 24 h');
    await page.getByLabel('Period').selectOption('7d');
    await page.waitForURL(/period=7d/);
    await page.getByTestId('range').filter({ hasText: 'Last 7 days' }).waitFor();
    now = Date.now() / 1000;
    want = seeded.sum({ since: now - 7 * 86400, until: now });
    near(await shownTotal(), want.rx + want.tx, 'all networks, 7 days');
    await page.getByLabel('Network').selectOption('iface:eth0');
    await page.waitForURL(/net=iface%3Aeth0|net=iface:eth0/);
    await page.getByTestId('range').waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=app-table] tbody tr')?.getAttribute('data-app-key') === 'apt-daily.service');
    now = Date.now() / 1000;
    want = seeded.sum({ since: now - 7 * 86400, until: now, ifaces: ['eth0'] });
    near(await shownTotal(), want.rx + want.tx, 'eth0, 7 days');
    await page.getByLabel('Network').selectOption('all');
    await page.waitForURL(/net=all/);
    await screenshot(page, 'overview-all-7d');
  });

  test('a custom period shows exactly that period', async () => {
    const page = b.page;
    await page.goto(`${dash.url}/?period=24h&net=all`);
    await page.getByLabel('Period').selectOption('custom');
    const local = (ts: number) => {
      const d = new Date(ts * 1000);
      const p = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
    };
    const until = Math.floor(seeded.now / 3600) * 3600 - 3 * 86400;
    const since = until - 2 * 86400 - 5 * 3600;
    await page.getByLabel('From', { exact: true }).fill(local(since));
    await page.getByLabel('To', { exact: true }).fill(local(until));
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/period=custom/);
    await page.getByTestId('range').filter({ hasText: 'Custom' }).waitFor();
    const want = seeded.sum({ since, until });
    assert.equal(await shownTotal(), want.rx + want.tx, 'whole hours: exact');
  });

  test('live: new traffic appears without a reload', async () => {
    const page = b.page;
    await page.goto(`${dash.url}/?period=24h&net=metered`);
    const ffRow = page.locator('[data-testid=app-table] tbody tr[data-app-key="app:firefox"] td[data-bytes]');
    const before = Number(await ffRow.getAttribute('data-bytes'));
    await page.evaluate(() => ((window as unknown as { appnetMarker: number }).appnetMarker = 42));
    const db = openDb(seeded.path);
    try {
      const sid = getOrCreateSeries(db, seeded.appIds.get('app:firefox')!, (db.prepare("SELECT id FROM interfaces WHERE name = 'wwan0'").get() as { id: number }).id, seeded.networkIds.get('iface:wwan0')!);
      const now = Math.floor(Date.now() / 1000) - 5;
      db.transaction(() => {
        insertUsage(db, now, [{ seriesId: sid, rxBytes: 3 * 1024 ** 3, txBytes: 0, rxPackets: 1, txPackets: 0 }]);
        putSourceStatus(db, { source: 'poll', ok: true, lastRun: now * 1000, durationMs: 10, error: null, detail: null });
      })();
      seeded.ledger.push({ ts: now - (now % 10), appKey: 'app:firefox', iface: 'wwan0', rx: 3 * 1024 ** 3, tx: 0 });
    } finally {
      db.close();
    }
    // The 24 h window slides with each refresh, so the seed's oldest bytes (under 1 MB a
    // minute) leave it while the 3 GiB arrive: allow 64 MiB for that, far below the jump.
    await page.waitForFunction(
      (min) => Number(document.querySelector('[data-testid=app-table] tbody tr[data-app-key="app:firefox"] td[data-bytes]')?.getAttribute('data-bytes')) >= min,
      before + 3 * 1024 ** 3 - 64 * 1024 ** 2,
      { timeout: 45_000 },
    );
    assert.equal(await page.evaluate(() => (window as unknown as { appnetMarker?: number }).appnetMarker), 42, 'the page was refreshed in place, not reloaded');
  });

  test('the CSV download holds the same rows as the JSON API', async () => {
    const page = b.page;
    await page.goto(`${dash.url}/?period=7d&net=all`);
    const href = await page.getByTestId('csv-link').getAttribute('href');
    assert.ok(href);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('csv-link').click()]);
    const csv = parseCsv(readFileSync((await download.path())!, 'utf8'));
    assert.deepEqual(csv[0], ['since', 'until', 'app', 'app_name', 'kind', 'rx_bytes', 'tx_bytes', 'total_bytes', 'rx_packets', 'tx_packets']);
    const res = await page.request.get(`${dash.url}${href.replace('/api/export.csv', '/api/usage')}`);
    assert.equal(res.status(), 200);
    const json = (await res.json()) as ReportJson;
    assert.equal(csv.length - 1, json.rows.length);
    assert.ok(json.rows.length >= 7);
    json.rows.forEach((r, i) => {
      assert.deepEqual(csv[i + 1], [r.since, r.until, r.appKey, r.appName, r.kind, String(r.rxBytes), String(r.txBytes), String(r.totalBytes), String(r.rxPackets), String(r.txPackets)]);
    });
    assert.match(json.since, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    const bad = await page.request.get(`${dash.url}/api/usage?by=bogus&since=yesterday`);
    assert.equal(bad.status(), 400);
    const err = (await bad.json()) as { error: { code: string; message: string; fields: Record<string, string[]> } };
    assert.equal(err.error.code, 'bad_request');
    assert.deepEqual(Object.keys(err.error.fields).sort(), ['by', 'since']);
    const bearer = await fetch(`${dash.url}/api/usage?by=app,iface&metered=1`, { headers: { authorization: `Bearer ${dash.token}` } });
    assert.equal(bearer.status, 200);
    const perIface = (await bearer.json()) as ReportJson;
    assert.ok(perIface.rows.every((r) => r.iface === 'wwan0'));
  });

  test('the chart comes drawn in the page itself, then recharts takes over and reads out bytes per app', async () => {
    // The first HTML holds the server-drawn chart: one band per charted app, before any script runs.
    const html = await (await b.context.request.get(`${dash.url}/?period=24h&net=all`)).text();
    const bands = [...html.matchAll(/<path class="chart-band" d="M[0-9.,L]+Z"/g)];
    assert.ok(bands.length >= 2, `bands in the HTML: ${bands.length}`);
    const page = b.page;
    await page.goto(`${dash.url}/?period=24h&net=all`);
    const chart = page.getByTestId('stacked-chart');
    // After hydration the recharts chart is drawn in the same box and the drawn stand-in is hidden.
    await chart.locator('svg path.recharts-area-area').first().waitFor();
    assert.equal(await chart.locator('svg path.recharts-area-area').count(), bands.length, 'recharts draws the same areas');
    assert.ok(!(await chart.locator('.chart-poster').isVisible()), 'the server-drawn chart is replaced');
    const moved = await page.evaluate(() => {
      const po = new PerformanceObserver(() => {});
      po.observe({ type: 'layout-shift', buffered: true });
      const fig = document.querySelector('[data-testid=stacked-chart]');
      type Shift = PerformanceEntry & { sources?: Array<{ node?: Node | null }> };
      const shifts = (po.takeRecords() as Shift[]).filter((e) => e.sources?.some((s) => s.node && fig && (fig.contains(s.node) || s.node.contains(fig))));
      po.disconnect();
      return shifts.length;
    });
    assert.equal(moved, 0, 'nothing in the chart moved when recharts took over');
    assert.match(await chart.locator('figcaption').innerText(), /firefox/);
    // Keyboard read-out (recharts' accessibility layer): focus the chart, walk the points until one shows Firefox's bytes.
    const plot = page.getByRole('application', { name: /Bytes per app over time/ });
    await plot.focus();
    const tip = chart.locator('.chart-tip');
    let text = '';
    for (let i = 0; i < 300 && !/firefox/.test(text); i++) {
      await page.keyboard.press('ArrowRight');
      text = (await tip.count()) ? await tip.innerText() : '';
    }
    assert.match(text, /firefox\s*[\d.]+ (B|KiB|MiB|GiB)/, `a point with Firefox's bytes: ${text}`);
    await plot.blur();
    await page.mouse.move(0, 0);
    await plot.hover();
    await tip.waitFor();
    assert.ok(await tip.isVisible(), 'pointing at the chart shows the tooltip');
    await screenshot(page, 'chart-tooltip');
  });

  test('app detail renders its charts, cgroups and totals', async () => {
    const page = b.page;
    await page.goto(`${dash.url}/?period=7d&net=all`);
    await page.locator('[data-app-key="app:firefox"] a.appname').click();
    await page.waitForURL(/\/apps\/\d+/);
    assert.equal(await page.getByTestId('app-name').innerText(), 'firefox');
    await page.locator('[data-testid=stacked-chart] svg path.recharts-area-area').first().waitFor();
    assert.ok((await page.locator('[data-testid=stacked-chart] svg path.recharts-area-area').count()) >= 4, 'download and upload areas for wwan0 and wlan0');
    const now = Date.now() / 1000;
    const want = seeded.sum({ since: now - 7 * 86400, until: now, appKey: 'app:firefox' });
    near(Number(await page.getByTestId('app-total').getAttribute('data-bytes')), want.rx + want.tx, 'Firefox, 7 days');
    assert.match(await page.locator('main').innerText(), /app-gnome-firefox-4711\.scope/);
    await screenshot(page, 'app-detail-firefox');
  });

  test('the PWA is installable and works offline with an "offline copy" banner', async () => {
    const page = b.page;
    await page.goto(`${dash.url}/?period=24h&net=metered`);
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    const cdp = await b.context.newCDPSession(page);
    const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: unknown[] };
    assert.deepEqual(installabilityErrors, []);
    await page.reload();
    await page.locator('[data-testid=app-table]').waitFor();
    await b.context.setOffline(true);
    try {
      await page.reload();
      await page.getByTestId('offline-banner').waitFor({ timeout: 20_000 });
      assert.match(await page.getByTestId('offline-banner').innerText(), /Offline copy of this page, taken/);
      assert.equal(await rows().first().getAttribute('data-app-key'), 'app:firefox', 'the last data is still shown');
      await screenshot(page, 'offline');
    } finally {
      await b.context.setOffline(false);
    }
  });

  test('networks page: plan progress, and editing the plan and metered flag is saved', async () => {
    const page = b.page;
    await page.goto(`${dash.url}/networks`);
    const nid = seeded.networkIds.get('iface:wwan0')!;
    const card = page.getByTestId(`network-${nid}`);
    await card.locator('progress').waitFor();
    await screenshot(page, 'networks');
    await card.getByLabel('Monthly plan (GiB)').fill('20');
    await card.getByLabel('Billing cycle starts on day').fill('12');
    await card.getByRole('button', { name: 'Save' }).click();
    await card.getByText('Saved.').waitFor();
    const wifi = page.getByTestId(`network-${seeded.networkIds.get('wifi:HomeNet')!}`);
    await wifi.getByLabel('Treat as mobile data (metered)').selectOption('yes');
    await wifi.getByLabel('Monthly plan (GiB)').fill('-3');
    await wifi.getByRole('button', { name: 'Save' }).click();
    await wifi.getByText(/positive number of GiB/).waitFor();
    const db = openDb(seeded.path, { readonly: true });
    try {
      const rows = db.prepare('SELECT net_key AS k, plan_bytes AS plan, cycle_start_day AS day, metered_user AS mu FROM networks ORDER BY id').all();
      assert.deepEqual(rows, [
        { k: 'iface:wwan0', plan: 20 * 1024 ** 3, day: 12, mu: null },
        { k: 'wifi:HomeNet', plan: null, day: 1, mu: null },
        { k: 'iface:eth0', plan: null, day: 1, mu: null },
      ]);
    } finally {
      db.close();
    }
  });

  test('dark theme and a narrow window stay readable', async () => {
    const page = b.page;
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${dash.url}/?period=7d&net=all`);
    await page.locator('[data-testid=stacked-chart] svg path.recharts-area-area').first().waitFor();
    await screenshot(page, 'overview-dark');
    await page.setViewportSize({ width: 400, height: 800 });
    await page.reload();
    await page.locator('[data-testid=app-table]').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.tablewrap'))
        .slice(0, 5)
        .map((e) => `${e.tagName}.${e.className}`),
    );
    assert.ok(overflow <= 1, `no horizontal scrolling on a narrow window (overflow ${overflow}px): ${wide.join(', ')}`);
    await screenshot(page, 'overview-narrow-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});

describe('dashboard without a collector', () => {
  test('says the collector is not running when there is no database yet', async () => {
    const dir = shareableDir('appnet-e2e-empty-');
    const dash = await startDashboard({ db: join(dir, 'missing.db') });
    const b = await launchBrowser();
    try {
      await b.page.goto(dash.loginUrl);
      await b.page.getByTestId('empty-state').waitFor();
      assert.match(await b.page.getByTestId('empty-state').innerText(), /collector is not running/);
      await screenshot(b.page, 'empty-no-collector');
      const api = await fetch(`${dash.url}/api/usage`, { headers: { authorization: `Bearer ${dash.token}` } });
      assert.equal(api.status, 503);
      assert.equal(((await api.json()) as { error: { code: string } }).error.code, 'no_database');

      // The collector ran once, ten minutes ago, and stopped: the data shows, with a banner saying so.
      const stale = seedDb(join(dir, 'missing.db'), { now: Date.now() / 1000 - 600, days: 2 });
      shareDb(stale.path);
      await b.page.reload();
      await b.page.locator('[data-testid=app-table]').waitFor();
      await b.page.getByTestId('collector-banner').waitFor({ timeout: 20_000 });
      assert.match(await b.page.getByTestId('collector-banner').innerText(), /collector is not running/);
      await screenshot(b.page, 'collector-stopped');
    } finally {
      await b.close();
      await dash.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
