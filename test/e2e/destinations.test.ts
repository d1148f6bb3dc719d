/**
 * Destinations end to end (issue 19): an app in the sandbox talks to two peers on the same
 * port, the real collector records both, the production dashboard's app page lists them, and
 * a rule made from one row ("Rule…", then "Add rule") blocks that destination only — the app
 * still reaches the other.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createSandbox, type Link, type Sandbox } from '../../collector/sandbox/sandbox';
import { systemdSkeleton, TRAFFIC } from '../../collector/sandbox/workloads';
import { openDb } from '../../db/open';
import { sleep, startCollector, waitForPoll, waitListening } from '../privileged/helpers';
import { screenshot, shareableDir, shareDb, startDashboard, type Browser, type Dashboard, loggedIn } from './helpers';

const node = process.execPath;
const APP = 'system.slice/fetcher.service';
const OTHER_PEER = '10.200.4.3';

describe('destinations on the app page, and a rule from a row', () => {
  let s: Sandbox;
  let wlan: Link;
  let dash: Dashboard;
  let b: Browser;
  let db: string;

  const send = (host: string) => s.exec([node, TRAFFIC, 'tcp-send', host, '7301', '50000'], { cgroup: APP, timeoutMs: 5000 });

  before(async () => {
    db = join(shareableDir('appnet-e2e-dest-'), 'appnet.db');
    s = await createSandbox();
    wlan = await s.addLink({ name: 'wlan0', subnet: 4 });
    await s.execOk(['ip', 'addr', 'add', `${OTHER_PEER}/24`, 'dev', wlan.peerName], { net: 'peer' });
    systemdSkeleton(s);
    await s.spawn([node, TRAFFIC, 'serve-tcp', wlan.peerV4, '7301', 'sink'], { net: 'peer' });
    await s.spawn([node, TRAFFIC, 'serve-tcp', OTHER_PEER, '7301', 'sink'], { net: 'peer' });
    await waitListening(s, 7301, { net: 'peer' });
    await startCollector(s, db, { interval: 1, counter: 'bpf' });
    await waitForPoll(db, Date.now());
    for (const host of [wlan.peerV4, OTHER_PEER]) assert.equal((await send(host)).code, 0, `the app reaches ${host} before any rule`);
    await sleep(300);
    await waitForPoll(db, Date.now());
    shareDb(db);
    dash = await startDashboard({ db });
    b = await loggedIn(dash);
  });

  after(async () => {
    await b?.close();
    await dash?.close();
    await s?.close();
  });

  test('the destinations table lists both peers; a rule from one row blocks that destination only', async () => {
    const d = openDb(db, { readonly: true });
    const { id } = d.prepare('SELECT id FROM apps WHERE app_key = ?').get('fetcher.service') as { id: number };
    d.close();
    const page = b.page;
    await page.goto(`${dash.url}/apps/${id}?period=1h`);
    const table = page.getByTestId('destinations-table');
    const row = (remote: string) => table.locator(`tbody tr[data-remote="${remote}"][data-port="7301"]`);
    for (const host of [wlan.peerV4, OTHER_PEER]) {
      assert.equal(await row(host).count(), 1, `a row for ${host}:7301`);
      assert.ok(Number(await row(host).getAttribute('data-bytes')) >= 50000, 'its bytes');
    }
    assert.match(await page.getByTestId('destinations').innerText(), /DNS over HTTPS/, 'the page says what cannot be named');
    await screenshot(page, 'destinations-table');
    await row(wlan.peerV4).getByTestId('block-destination').click();
    await page.waitForURL(/block=/);
    const form = page.getByTestId('new-rule-form');
    await form.waitFor();
    assert.match(await page.getByTestId('new-rule-preview').innerText(), new RegExp(`ip daddr ${wlan.peerV4.replaceAll('.', '\\.')} meta l4proto tcp th dport 7301 .*drop`));
    await form.getByRole('button', { name: 'Add rule' }).click();
    await form.getByRole('status').filter({ hasText: /added/ }).waitFor();
    // The collector applies it within seconds: then that destination is blocked, the other is not.
    let blocked = false;
    for (let i = 0; i < 40 && !blocked; i++) {
      blocked = (await send(wlan.peerV4)).code !== 0;
      if (!blocked) await sleep(250);
    }
    assert.ok(blocked, 'the app can no longer reach the destination the rule was made from');
    assert.equal((await send(OTHER_PEER)).code, 0, 'the app still reaches the other destination on the same port');
  });
});
