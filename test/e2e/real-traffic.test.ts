/**
 * The whole chain with nothing seeded: real apps in a sandbox use a mobile link, the
 * real kernel counts, the real collector stores, the production dashboard shows it in
 * real Chromium — and the number on screen matches what the far end received.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createSandbox, type Sandbox } from '../../collector/sandbox/sandbox';
import { APP, systemdSkeleton, TRAFFIC } from '../../collector/sandbox/workloads';
import { appTotals, countersDetail, ifaceTotals, peerTruth, sleep, startCollector, waitForPoll, waitListening, within } from '../privileged/helpers';
import { screenshot, shareableDir, shareDb, startDashboard, type Browser, type Dashboard, loggedIn } from './helpers';

const node = process.execPath;

describe('dashboard on traffic counted by the real collector', () => {
  let s: Sandbox;
  let dash: Dashboard;
  let b: Browser;
  let db: string;
  let truth: Awaited<ReturnType<typeof peerTruth>>;

  before(async () => {
    db = join(shareableDir('appnet-e2e-real-'), 'appnet.db');
    s = await createSandbox();
    const wlan = await s.addLink({ name: 'wlan0', subnet: 1 });
    const wwan = await s.addLink({ name: 'wwan0', subnet: 2 });
    systemdSkeleton(s);
    truth = await peerTruth(s, [443, 4070, 873]);
    await s.spawn([node, TRAFFIC, 'serve-tcp', wwan.peerV4, '443', 'source:3000000'], { net: 'peer' });
    await s.spawn([node, TRAFFIC, 'serve-tcp', wwan.peerV4, '4070', 'source:800000'], { net: 'peer' });
    await s.spawn([node, TRAFFIC, 'serve-tcp', wlan.peerV4, '873', 'sink'], { net: 'peer' });
    for (const p of [443, 4070, 873]) await waitListening(s, p, { net: 'peer' });
    await startCollector(s, db, { interval: 1 });
    await waitForPoll(db, Date.now());
    await Promise.all([
      s.execOk([node, TRAFFIC, 'tcp-recv', wwan.peerV4, '443'], { cgroup: `${APP}/app-gnome-firefox-4711.scope` }),
      s.execOk([node, TRAFFIC, 'tcp-recv', wwan.peerV4, '4070'], { cgroup: `${APP}/app-flatpak-com.spotify.Client-5120.scope` }),
      s.execOk([node, TRAFFIC, 'tcp-send', wlan.peerV4, '873', '6000000'], { cgroup: 'system.slice/backup.service' }),
    ]);
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

  test('mobile data, last hour: Firefox is on top with what the far end sent it (±1%)', async () => {
    await b.page.goto(`${dash.url}/?period=1h&net=metered`);
    const row = b.page.locator('[data-testid=app-table] tbody tr').first();
    assert.equal(await row.getAttribute('data-app-key'), 'app:firefox');
    const shown = Number(await row.locator('td[data-bytes]').getAttribute('data-bytes'));
    const t = await truth();
    within(shown, t.get('out-443')!.bytes + t.get('in-443')!.bytes, 1, 'Firefox on the mobile link, as shown');
    const stored = appTotals(db, 'app:firefox', 'wwan0');
    assert.equal(shown, stored.rx + stored.tx, 'the page shows exactly what the store holds');
    assert.equal(await b.page.locator('[data-testid=app-table] tbody tr[data-app-key="backup.service"]').count(), 0, 'the Wi-Fi-only backup is not in the mobile view');
    await screenshot(b.page, 'real-traffic-mobile-1h');
  });

  test('all networks: the Wi-Fi backup leads, and the network filter is what separates them', async () => {
    await b.page.goto(`${dash.url}/?period=1h`);
    const row = b.page.locator('[data-testid=app-table] tbody tr').first();
    assert.equal(await row.getAttribute('data-app-key'), 'backup.service');
    const t = await truth();
    within(Number(await row.locator('td[data-bytes]').getAttribute('data-bytes')), t.get('in-873')!.bytes + t.get('out-873')!.bytes, 1, 'backup on Wi-Fi');
  });

  test('the Health page shows the collector polling, its sets filling, and the app page its firewall panel', async () => {
    await b.page.goto(`${dash.url}/health`);
    assert.equal(await b.page.locator('[data-source=poll]').getAttribute('data-ok'), '1');
    assert.match(await b.page.getByTestId('last-ok').innerText(), /Last successful poll .*\((just now|\d+ min ago)\)/);
    assert.equal(await b.page.getByTestId('counter-source').getAttribute('data-source'), 'bpf', 'the page says the BPF program counts per app');
    assert.ok(Number(await b.page.locator('[data-set="BPF map counts"]').getAttribute('data-count')) >= 2, 'per-app entries in the BPF map');
    await screenshot(b.page, 'real-traffic-health');
    await b.page.goto(`${dash.url}/?period=1h`);
    await b.page.locator('[data-testid=app-table] tbody tr[data-app-key="app:firefox"] a').first().click();
    await b.page.waitForURL(/\/apps\/\d+/);
    await b.page.getByTestId('app-name').waitFor();
    await screenshot(b.page, 'real-traffic-app-firefox');
    assert.equal(await b.page.getByTestId('rules-panel').count(), 1);
  });

  test('Networks sets appnet’s count next to the interface’s own; Health says how exact the counter source is', async () => {
    await b.page.goto(`${dash.url}/networks`);
    const card = b.page.locator('[data-testid^="network-"]').filter({ has: b.page.locator('.tag', { hasText: /^wwan0$/ }) });
    const counted = card.getByTestId('counted');
    const appnet = Number(await counted.locator('tr[data-counted-by=appnet]').getAttribute('data-bytes'));
    const iface = Number(await counted.locator('tr[data-counted-by=interface]').getAttribute('data-bytes'));
    const all = ifaceTotals(db, 'wwan0');
    // Counting side by side began at the collector's first poll, before any of the traffic.
    within(appnet, all.rx + all.tx, 1, 'appnet\'s figure on the Networks page');
    assert.ok(iface > appnet, `the interface counted more (link-layer headers, and on nft the merged segments'): ${iface} vs ${appnet}`);
    assert.match(await card.getByTestId('counted-difference').innerText(), /The interface counted more by .* link-layer header/);
    await screenshot(b.page, 'real-traffic-networks');
    await b.page.goto(`${dash.url}/health`);
    const acc = b.page.getByTestId('accuracy');
    const source = countersDetail(db).source;
    assert.equal(await acc.getAttribute('data-source'), source);
    if (source === 'bpf') {
      assert.equal(await acc.getAttribute('data-sees-segments'), '1');
      assert.match(await acc.innerText(), /Bulk TCP and small packets alike read within 0\.1 % of what crossed the link/);
    } else {
      assert.equal(await acc.getAttribute('data-sees-segments'), '0');
      assert.match(await acc.innerText(), /Bulk TCP transfers read 3\.4–4\.7 % below what crossed the link[\s\S]*No correction is applied/);
    }
  });
});
