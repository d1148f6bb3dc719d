/**
 * Destinations end to end (issue 19): an app in the sandbox talks to two peers on the same
 * port, the real collector records both, the production dashboard's app page lists them, and
 * a rule made from one row ("Rule…", then "Add rule") blocks that destination only — the app
 * still reaches the other.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sleep } from '../privileged/helpers';
import { startDestinationsSandbox, type DestinationsSandbox } from './dest-sandbox';
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
});
