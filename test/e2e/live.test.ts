/**
 * Live connections end to end (issue 19): an app in the sandbox holds a TCP connection, the real
 * collector lists it while the production dashboard's app page is open, and the page's table
 * follows without a reload — a second connection appears, the first one's row goes when it closes.
 * A row pre-fills the rule form; the section is axe-clean in both themes and fits a phone.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { createSandbox, type Link, type Running, type Sandbox } from '../../collector/sandbox/sandbox';
import { systemdSkeleton } from '../../collector/sandbox/workloads';
import { openDb } from '../../db/open';
import { ROOT, sleep, startCollector, tempDir, waitForPoll, waitListening } from '../privileged/helpers';
import { axeSerious, describeViolations } from './axe';
import { loggedIn, screenshot, shareableDir, shareDb, startDashboard, type Browser, type Dashboard } from './helpers';

const node = process.execPath;
const LIVE_APP = join(ROOT, 'test', 'privileged', 'live-app.mjs');
const APP = 'system.slice/holder.service';

describe('live connections on the app page', () => {
  let s: Sandbox;
  let wlan: Link;
  let dash: Dashboard;
  let b: Browser;
  let db: string;
  let tmp: ReturnType<typeof tempDir>;
  let appId: number;

  /** hold starts an app process in APP holding one TCP connection to the peer's port, and waits until it is up. */
  const hold = async (port: number): Promise<Running> => {
    const ready = join(tmp.dir, `ready-${port}.json`);
    const r = await s.spawn([node, LIVE_APP, '--app', ready, '1000', '0', 'tcp', wlan.peerV4, String(port)], { cgroup: APP });
    for (let i = 0; i < 100 && !existsSync(ready); i++) await sleep(100);
    assert.ok(existsSync(ready), `the app holds its connection to port ${port}`);
    return r;
  };

  const row = (page: Page, port: number) => page.getByTestId('live-table').locator(`tbody tr[data-remote="${wlan.peerV4}"][data-remote-port="${port}"]`);

  before(async () => {
    tmp = tempDir();
    db = join(shareableDir('appnet-e2e-live-'), 'appnet.db');
    s = await createSandbox();
    wlan = await s.addLink({ name: 'wlan0', subnet: 6 });
    systemdSkeleton(s);
    for (const port of [7701, 7702]) await s.spawn([node, LIVE_APP, '--serve', wlan.peerV4, String(port), '5000'], { net: 'peer' });
    await waitListening(s, 7702, { net: 'peer' });
    await startCollector(s, db, { interval: 1 });
    await waitForPoll(db, Date.now());
    shareDb(db);
    dash = await startDashboard({ db });
    b = await loggedIn(dash);
  });

  after(async () => {
    await b?.close();
    await dash?.close();
    await s?.close();
    tmp?.remove();
  });

  test('the table follows the app: a new connection appears, a closed one goes, without a reload', async () => {
    const first = await hold(7701);
    for (let i = 0; i < 100; i++) {
      const d = openDb(db, { readonly: true });
      const r = d.prepare('SELECT id FROM apps WHERE app_key = ?').get('holder.service') as { id: number } | undefined;
      d.close();
      if (r) {
        appId = r.id;
        break;
      }
      await sleep(100);
    }
    assert.ok(appId, 'the collector stored the app');
    const page = b.page;
    await page.goto(`${dash.url}/apps/${appId}?period=1h`);
    await row(page, 7701).waitFor({ timeout: 20_000 });
    assert.equal(await row(page, 7701).getAttribute('data-state'), 'established');
    assert.match(await page.getByTestId('live-age').innerText(), /As of \d+ s ago/);
    const navigations: string[] = [];
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations.push(f.url());
    });
    const second = await hold(7702);
    await row(page, 7702).waitFor({ timeout: 20_000 });
    s.kill(first.pid, 'SIGTERM');
    await first.done;
    await row(page, 7701).waitFor({ state: 'detached', timeout: 20_000 });
    assert.equal(await row(page, 7702).count(), 1, 'the other connection is still listed');
    assert.deepEqual(navigations, [], 'the table changed without the page being loaded again');
    await screenshot(page, 'live-connections');
    s.kill(second.pid, 'SIGTERM');
    await second.done;
    await page.getByTestId('live-none').waitFor({ timeout: 20_000 });
  });

  test('a row pre-fills the rule form for that connection', async () => {
    const held = await hold(7701);
    try {
      const page = b.page;
      await page.goto(`${dash.url}/apps/${appId}?period=1h`);
      await row(page, 7701).waitFor({ timeout: 20_000 });
      await row(page, 7701).getByTestId('block-live').click();
      await page.waitForURL(/block=/);
      await page.getByTestId('new-rule-form').waitFor();
      assert.match(await page.getByTestId('new-rule-preview').innerText(), new RegExp(`ip daddr ${wlan.peerV4.replaceAll('.', '\\.')} meta l4proto tcp th dport 7701 .*drop`));
    } finally {
      s.kill(held.pid, 'SIGTERM');
      await held.done;
    }
  });

  test('axe-clean in both themes, and on a phone the section fits the screen', async () => {
    const held = await hold(7702);
    try {
      const found: string[] = [];
      for (const colorScheme of ['light', 'dark'] as const) {
        const page = b.page;
        await page.emulateMedia({ colorScheme });
        await page.goto(`${dash.url}/apps/${appId}?period=1h`);
        await row(page, 7702).waitFor({ timeout: 20_000 });
        const vs = await axeSerious(page);
        if (vs.length) found.push(`${colorScheme}:\n${describeViolations(vs)}`);
      }
      await b.page.emulateMedia({ colorScheme: 'light' });
      assert.equal(found.join('\n\n'), '', 'axe-core violations');
      const page = b.page;
      await page.setViewportSize({ width: 390, height: 844 });
      try {
        await page.goto(`${dash.url}/apps/${appId}?period=1h`);
        await row(page, 7702).waitFor({ timeout: 20_000 });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
        const box = await page.getByTestId('live-connections').boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `the section fits: ${JSON.stringify(box)}`);
        const scroll = await page.getByTestId('live-connections').locator('.tablewrap').first().evaluate((el) => el.scrollWidth - el.clientWidth);
        assert.ok(scroll <= 0, `the connections table needs ${scroll}px of sideways scrolling on a phone`);
        await screenshot(page, 'live-connections-phone');
      } finally {
        await page.setViewportSize({ width: 1280, height: 900 });
      }
    } finally {
      s.kill(held.pid, 'SIGTERM');
      await held.done;
    }
  });
});
