/**
 * Destinations end to end (issue 19): an app in the sandbox talks to two peers on the same
 * port, the real collector records both, the production dashboard's app page lists them, and
 * a rule made from one row ("Rule…", then "Add rule") blocks that destination only — the app
 * still reaches the other. Privacy addresses of one peer /64 are one row, whose rule blocks the /64.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sleep, TRAFFIC, waitForPoll, waitListening } from '../privileged/helpers';
import { DEST_APP, startDestinationsSandbox, type DestinationsSandbox } from './dest-sandbox';
import { screenshot } from './helpers';

describe('destinations on the app page, and a rule from a row', () => {
  let x: DestinationsSandbox;

  before(async () => {
    x = await startDestinationsSandbox({ subnet: 4, otherPeer: '10.200.4.3', port: 7301, dirPrefix: 'appnet-e2e-dest-' });
  });

  after(async () => {
    await x?.close();
  });

  test('the destinations table lists both peers; a rule from one row blocks that destination only', async () => {
    const [peer, otherPeer] = x.peers;
    const page = x.b.page;
    await page.goto(`${x.dash.url}/apps/${x.appId()}?period=1h`);
    const table = page.getByTestId('destinations-table');
    const row = (remote: string) => table.locator(`tbody tr[data-remote="${remote}"][data-port="7301"]`);
    for (const host of x.peers) {
      assert.equal(await row(host).count(), 1, `a row for ${host}:7301`);
      assert.ok(Number(await row(host).getAttribute('data-bytes')) >= 50000, 'its bytes');
    }
    assert.match(await page.getByTestId('destinations').innerText(), /DNS over HTTPS/, 'the page says what cannot be named');
    await screenshot(page, 'destinations-table');
    await row(peer).getByTestId('block-destination').click();
    await page.waitForURL(/block=/);
    const form = page.getByTestId('new-rule-form');
    await form.waitFor();
    assert.match(await page.getByTestId('new-rule-preview').innerText(), new RegExp(`ip daddr ${peer.replaceAll('.', '\\.')} meta l4proto tcp th dport 7301 .*drop`));
    await form.getByRole('button', { name: 'Add rule' }).click();
    await form.getByRole('status').filter({ hasText: /added/ }).waitFor();
    // The collector applies it within seconds: then that destination is blocked, the other is not.
    let blocked = false;
    for (let i = 0; i < 40 && !blocked; i++) {
      blocked = (await x.send(peer)).code !== 0;
      if (!blocked) await sleep(250);
    }
    assert.ok(blocked, 'the app can no longer reach the destination the rule was made from');
    assert.equal((await x.send(otherPeer)).code, 0, 'the app still reaches the other destination on the same port');
  });

  test("a peer network's privacy addresses are one row, its /64; the row's rule pre-fills the /64 and blocks it", async () => {
    // Three addresses with random-looking interface identifiers in one /64 of the peer, on-link for the app.
    const net64 = 'fd00:4:64:1';
    const addrs = ['a1b2:c3d4:e5f6:1', '5e6f:7a8b:9c0d:2', '3c4d:5e6f:7a8b:3'].map((iid) => `${net64}:${iid}`);
    for (const a of addrs) await x.s.execOk(['ip', '-6', 'addr', 'add', `${a}/64`, 'dev', x.wlan.peerName, 'nodad'], { net: 'peer' });
    await x.s.execOk(['ip', '-6', 'route', 'add', `${net64}::/64`, 'dev', 'wlan0']);
    await x.s.spawn([process.execPath, TRAFFIC, 'serve-tcp', '::', '7302', 'sink'], { net: 'peer' });
    await waitListening(x.s, 7302, { net: 'peer' });
    const send6 = (host: string) => x.s.exec([process.execPath, TRAFFIC, 'tcp-send', host, '7302', '30000'], { cgroup: DEST_APP, timeoutMs: 5000 });
    for (const a of addrs) assert.equal((await send6(a)).code, 0, `the app reaches ${a}`);
    await sleep(300);
    await waitForPoll(x.db, Date.now());
    await waitForPoll(x.db, Date.now());
    const page = x.b.page;
    await page.goto(`${x.dash.url}/apps/${x.appId()}?period=1h`);
    const row = page.getByTestId('destinations-table').locator(`tbody tr[data-remote="${net64}::/64"][data-port="7302"]`);
    assert.equal(await row.getAttribute('data-addresses'), '3', 'one row for the three addresses');
    assert.ok(Number(await row.getAttribute('data-bytes')) >= 90000, 'with all their bytes');
    assert.match(await row.innerText(), /3 addresses/);
    await row.getByTestId('block-destination').click();
    await page.waitForURL(/block=/);
    const form = page.getByTestId('new-rule-form');
    await form.waitFor();
    assert.equal(await form.getByLabel(/Remote addresses/).inputValue(), `${net64}::/64`, 'the rule form holds the /64');
    assert.match(await page.getByTestId('new-rule-preview').innerText(), new RegExp(`ip6 daddr ${net64}::/64 meta l4proto tcp th dport 7302 .*drop`));
    await form.getByRole('button', { name: 'Add rule' }).click();
    await form.getByRole('status').filter({ hasText: /added/ }).waitFor();
    let blocked = false;
    for (let i = 0; i < 40 && !blocked; i++) {
      blocked = (await send6(addrs[0])).code !== 0;
      if (!blocked) await sleep(250);
    }
    assert.ok(blocked, 'the /64 is blocked for the app');
    assert.equal((await send6(x.wlan.peerV6)).code, 0, 'the peer outside the /64 is still reached');
  });
});
