/**
 * What a new user sees first (#16): the landing page opens on the metered network's billing cycle
 * with the plan's progress and the app ranking on a phone's first screen; charts draw the bucket that
 * holds now; offline pages say what they are; and axe-core finds no serious or critical violation on
 * any page in either theme. Production build behind `appnet serve`, real Chromium, seeded stores.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDb } from '../../db/open';
import { insertRule, markFirewallApplied, setRuleEnabled, upsertAppPolicy } from '../../db/queries/rules';
import { cycleBounds } from '../../lib/period';
import { ruleSchema } from '../../lib/rules/model';
import { seedDb, type Seeded } from '../fixtures/seed';
import { axeSerious, describeViolations } from './axe';
import { launchBrowser, loggedIn, screenshot, shareableDir, shareDb, startDashboard, type Browser, type Dashboard } from './helpers';

/** addRules gives the Rules page every badge axe should see: applied, pending, disabled, a per-app cap. */
function addRules(path: string): void {
  const db = openDb(path);
  try {
    const now = Math.floor(Date.now() / 1000);
    const applied = insertRule(db, ruleSchema.parse({ app: 'app:firefox', direction: 'out', action: 'allow', protocol: 'tcp', remotePort: '443' }), now);
    const off = insertRule(db, ruleSchema.parse({ app: 'apt-daily.service', direction: 'out', action: 'drop', protocol: 'any' }), now);
    setRuleEnabled(db, off, false, now);
    insertRule(db, ruleSchema.parse({ app: 'ssh.service', direction: 'in', action: 'drop', protocol: 'tcp', localPort: '23' }), now);
    const cap = upsertAppPolicy(db, { app: 'app:spotify', defaultIn: 'inherit', defaultOut: 'inherit', quotaBytes: 50 * 1024 ** 2, quotaNetwork: 'metered', quotaCycleDay: 1 }, now);
    markFirewallApplied(db, { rules: [{ id: applied, version: 1 }], apps: [{ id: cap, version: 1 }], objects: '{"chains":[],"counters":[],"quotas":[]}', now });
  } finally {
    db.close();
  }
}

describe('views', () => {
  let dir: string;
  let seeded: Seeded;
  let fresh: Seeded;
  let dash: Dashboard;
  let freshDash: Dashboard;
  // One signed-in browser per dashboard: a login URL works once.
  let b: Browser;
  let fb: Browser;

  before(async () => {
    dir = shareableDir('appnet-e2e-views-');
    seeded = seedDb(join(dir, 'appnet.db'), { now: Date.now() / 1000, days: 40 });
    addRules(seeded.path);
    shareDb(seeded.path);
    // 25 minutes of traffic only, like the demo after its first minutes.
    fresh = seedDb(join(dir, 'fresh.db'), { now: Date.now() / 1000, days: 25 / 1440 });
    shareDb(fresh.path);
    dash = await startDashboard({ db: seeded.path });
    freshDash = await startDashboard({ db: fresh.path });
    b = await loggedIn(dash);
    fb = await loggedIn(freshDash);
  });
  after(async () => {
    await b?.close();
    await fb?.close();
    await dash?.close();
    await freshDash?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('landing on a phone: the metered network\'s billing cycle, its plan used / plan / projected, and the ranking on the first screen', async () => {
    const page = b.page;
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(`${dash.url}/`);
      const wwan = seeded.networkIds.get('iface:wwan0')!;
      assert.equal(await page.getByLabel('Network').inputValue(), `net:${wwan}`);
      assert.equal(await page.getByLabel('Period').inputValue(), 'cycle');
      assert.match(await page.locator('h1').innerText(), /Mobile broadband this billing cycle/);
      const c = cycleBounds(Date.now() / 1000, 5);
      const plan = page.getByTestId('plan-progress');
      const used = Number(await plan.getAttribute('data-used'));
      const want = seeded.sum({ since: c.since, until: Date.now() / 1000, ifaces: ['wwan0'] });
      assert.ok(Math.abs(used - (want.rx + want.tx)) <= Math.max(1, 0.01 * (want.rx + want.tx)), `plan used ${used}, expected ${want.rx + want.tx}`);
      assert.equal(Number(await plan.getAttribute('data-plan')), 10 * 1024 ** 3);
      assert.match(await plan.innerText(), /of 10\.0 GiB/);
      assert.match(await plan.innerText(), /At this pace about .* by the end of the cycle|A projection appears after a day of counting/);
      const first = page.locator('[data-testid=app-table] tbody tr').first();
      assert.equal(await first.getAttribute('data-app-key'), 'app:firefox');
      const box = await first.boundingBox();
      assert.ok(box && box.y + box.height <= 844, `the top app's row ends at ${box && box.y + box.height}px, below the first screen (844px)`);
      await screenshot(page, 'landing-phone');
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  test('25 minutes of traffic: 24 h, 7 d, 30 d, cycle and the app page draw it in a last point marked in progress, agreeing with the totals', async () => {
    const page = fb.page;
    for (const period of ['24h', '7d', '30d', 'cycle']) {
      await page.goto(`${freshDash.url}/?period=${period}&net=all`);
      const total = Number(await page.getByTestId('total').getAttribute('data-bytes'));
      assert.ok(total > 0);
      const fig = page.getByTestId('stacked-chart');
      const at = await fig.getAttribute('data-in-progress');
      assert.ok(at, `${period}: the last point is marked in progress`);
      await fig.locator('summary', { hasText: 'Show the chart as a table' }).click();
      const cells = await fig.locator('[data-testid=chart-table] tbody td[data-bytes]').evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-bytes'))));
      assert.equal(cells.reduce((a, v) => a + v, 0), total, `${period}: the chart's points add up to the total`);
      assert.match(await fig.locator('tr[data-in-progress] th').innerText(), /\(in progress\)/i);
      assert.match(await fig.getByTestId('in-progress-note').innerText(), /still in progress/);
      assert.match(await fig.getByTestId('chart-unit').innerText(), /^Bytes per (\d+ (s|min|hours)|hour|day)/);
    }
    await page.goto(`${freshDash.url}/?period=7d&net=all`);
    await page.locator('[data-testid=app-table] tbody tr[data-app-key="app:firefox"] a.appname').click();
    await page.waitForURL(/\/apps\/\d+/);
    await page.waitForFunction(() => document.title !== '');
    assert.match(await page.title(), /^firefox · appnet$/i);
    const appTotal = Number(await page.getByTestId('app-total').getAttribute('data-bytes'));
    let drawn = 0;
    for (const fig of await page.getByTestId('stacked-chart').all()) {
      assert.ok(await fig.getAttribute('data-in-progress'));
      await fig.locator('summary').click();
      drawn += (await fig.locator('[data-testid=chart-table] tbody td[data-bytes]').evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-bytes'))))).reduce((a, v) => a + v, 0);
    }
    assert.equal(drawn, appTotal, 'download and upload charts add up to the app total');
    await screenshot(page, 'app-fresh-7d');
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    test(`axe-core: no serious or critical violation on any page, ${colorScheme} theme`, async () => {
      const page = b.page;
      await page.emulateMedia({ colorScheme });
      try {
        const appId = seeded.appIds.get('app:firefox')!;
        const pages = ['/', '/?period=7d&net=all', `/apps/${appId}?period=24h&net=all`, '/rules', '/networks', '/health'];
        const found: string[] = [];
        for (const path of pages) {
          await page.goto(`${dash.url}${path}`);
          await page.locator('main h1').first().waitFor();
          for (const d of await page.locator('details').all()) await d.evaluate((el) => el.setAttribute('open', ''));
          const vs = await axeSerious(page);
          if (vs.length) found.push(`${path}:\n${describeViolations(vs)}`);
        }
        // Signed out: a browser of its own.
        const out = await launchBrowser({ colorScheme });
        try {
          await out.page.goto(`${dash.url}/login`);
          const vs = await axeSerious(out.page);
          if (vs.length) found.push(`/login:\n${describeViolations(vs)}`);
        } finally {
          await out.close();
        }
        assert.equal(found.join('\n\n'), '', 'axe-core violations');
      } finally {
        await page.emulateMedia({ colorScheme: 'light' });
      }
    });
  }

  test('an app keeps its colour from view to view, in the chart and beside its row', async () => {
    const page = b.page;
    const swatch = () => page.locator('[data-testid=app-table] tr[data-app-key="app:firefox"] svg.swatch rect').getAttribute('fill');
    await page.goto(`${dash.url}/?period=24h&net=all`);
    const first = await swatch();
    assert.ok(first);
    await page.goto(`${dash.url}/?period=7d&net=metered`);
    assert.equal(await swatch(), first);
    assert.equal(await page.getByTestId('stacked-chart').locator('figcaption span', { hasText: 'firefox' }).locator('rect').getAttribute('fill'), first);
  });

  test('every page has a skip link to the main content and a tab title naming the page', async () => {
    const page = b.page;
    for (const [path, title] of [['/networks', 'Networks · appnet'], ['/rules', 'Rules · appnet'], ['/health', 'Health · appnet'], ['/', 'Overview · appnet']]) {
      await page.goto(`${dash.url}${path}`);
      assert.equal(await page.title(), title);
    }
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    assert.ok(await skip.evaluate((el) => el === document.activeElement), 'the skip link is the first stop');
    await page.keyboard.press('Enter');
    assert.ok(await page.evaluate(() => document.activeElement?.id === 'main'));
  });

  test('offline: a visited page is an offline copy with the time it was taken; a page never visited says it is not available', async () => {
    const page = b.page;
    await page.goto(`${dash.url}/?period=24h&net=all`);
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await page.reload(); // now under the service worker, which keeps this copy
    await page.goto(`${dash.url}/networks`);
    await page.locator('main h1').waitFor();
    await b.context.setOffline(true);
    try {
      await page.goto(`${dash.url}/networks`);
      await page.getByTestId('offline-banner').waitFor({ timeout: 20_000 });
      const banner = await page.getByTestId('offline-banner').innerText();
      assert.match(banner, /^Offline copy of this page, taken \w{3} \d{1,2} \w{3}, \d\d:\d\d/);
      assert.doesNotMatch(banner, /collector/i);
      assert.equal(await page.locator('main h1').innerText(), 'Networks');
      await page.goto(`${dash.url}/?period=24h&net=all`);
      await page.getByTestId('offline-banner').waitFor({ timeout: 20_000 });
      assert.ok(!(await page.getByText(/last poll/).isVisible()), 'no "last poll just now" in an offline copy');
      // Never opened in this browser (other tests opened /rules and /health themselves).
      for (const path of [`/apps/${seeded.appIds.get('app:spotify')}`, '/rules?app=never-opened']) {
        const res = await page.goto(`${dash.url}${path}`);
        assert.equal(res?.status(), 503);
        assert.equal(await page.locator('h1').innerText(), 'Not available offline', path);
        assert.ok((await page.getByTestId('not-offline').innerText()).includes(`${path} was not opened`), path);
        assert.equal(await page.getByText('Which apps used').count(), 0, `${path} is not shown as the overview`);
      }
      await screenshot(page, 'offline-not-visited');
    } finally {
      await b.context.setOffline(false);
    }
  });
});
