/**
 * The destinations switch and clearing on the Health page (issue 19, the privacy switch), end to
 * end with the real collector in the sandbox: turned off there, the collector stops recording
 * (the panel and the app page say so, and new traffic adds no destination rows while the app is
 * still counted); "Clear destination history", confirmed, empties the app's table; turned on
 * again, rows come back. axe-core finds nothing serious on the panel in either theme.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { openDb } from '../../db/open';
import { appTotals, sleep, waitForPoll } from '../privileged/helpers';
import { axeSerious, describeViolations } from './axe';
import { DEST_APP_KEY, startDestinationsSandbox, type DestinationsSandbox } from './dest-sandbox';
import { screenshot } from './helpers';

/** destRows counts the stored destination rows (hours and days, "other destinations" left out) and their bytes. */
function destRows(db: string): { n: number; bytes: number } {
  const d = openDb(db, { readonly: true });
  try {
    return d
      .prepare(`SELECT COUNT(*) AS n, COALESCE(SUM(rx_bytes + tx_bytes), 0) AS bytes FROM (
                  SELECT rx_bytes, tx_bytes FROM dest_1h WHERE dest_id <> 0 UNION ALL SELECT rx_bytes, tx_bytes FROM dest_1d WHERE dest_id <> 0)`)
      .get() as { n: number; bytes: number };
  } finally {
    d.close();
  }
}

describe('the destinations switch and clearing, on the Health page', () => {
  let x: DestinationsSandbox;

  before(async () => {
    x = await startDestinationsSandbox({ subnet: 5, otherPeer: '10.200.5.3', port: 7311, dirPrefix: 'appnet-e2e-destsw-' });
  });

  after(async () => {
    await x?.close();
  });

  /** healthUntil reloads the Health page until the collector reports recording on (1) or off (0). */
  async function healthUntil(page: Page, recording: '0' | '1'): Promise<string> {
    const state = page.getByTestId('destinations-state');
    for (let i = 0; i < 40; i++) {
      await page.goto(`${x.dash.url}/health`);
      if ((await state.getAttribute('data-recording')) === recording) return state.innerText();
      await sleep(250);
    }
    throw new Error(`the collector did not report recording ${recording === '1' ? 'on' : 'off'}: ${await state.innerText()}`);
  }

  /** saveSwitch sets "Record destinations" on the Health page and saves it. */
  async function saveSwitch(page: Page, on: boolean): Promise<void> {
    await page.goto(`${x.dash.url}/health`);
    const form = page.getByTestId('destinations-switch');
    await form.getByRole('switch', { name: 'Record destinations' }).setChecked(on);
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByRole('status').filter({ hasText: on ? /records destinations from its next poll/ : /stops recording destinations/ }).waitFor();
  }

  /** sendAndPoll has the app send to the first peer and waits until two polls have stored it. */
  async function sendAndPoll(): Promise<void> {
    assert.equal((await x.send(x.peers[0], 60000)).code, 0, 'the app reaches the peer');
    await sleep(300);
    await waitForPoll(x.db, Date.now());
    await waitForPoll(x.db, Date.now());
  }

  const appPage = () => `${x.dash.url}/apps/${x.appId()}?period=1h`;
  const peerRow = (page: Page) => page.getByTestId('destinations-table').locator(`tbody tr[data-remote="${x.peers[0]}"][data-port="${x.port}"]`);

  test('off: the collector stops recording, the app page says so and new traffic adds no rows', async () => {
    const page = x.b.page;
    assert.match(await healthUntil(page, '1'), /^Recording destinations since /);
    assert.ok(destRows(x.db).n >= 2, 'both peers recorded before');
    await saveSwitch(page, false);
    assert.match(await healthUntil(page, '0'), /^Off since .*: nothing new is recorded\.$/);
    const before = destRows(x.db);
    const appBefore = appTotals(x.db, DEST_APP_KEY);
    await sendAndPoll();
    assert.deepEqual(destRows(x.db), before, 'no destination row added or grown');
    assert.ok(appTotals(x.db, DEST_APP_KEY).tx - appBefore.tx >= 60000, 'the app itself is still counted');
    await page.goto(appPage());
    assert.match(await page.getByTestId('destinations-off').innerText(), /Destination history is off\. Off since .*: nothing new is recorded\./);
    assert.equal(await peerRow(page).count(), 1, 'what was recorded stays until cleared');
  });

  test('clear, confirmed: the stored rows are deleted and the table is empty', async () => {
    const page = x.b.page;
    await page.goto(`${x.dash.url}/health`);
    const form = page.getByTestId('destinations-clear');
    await form.getByRole('button', { name: 'Clear destination history…' }).click();
    await form.getByRole('button', { name: 'Cancel' }).click();
    assert.ok(destRows(x.db).n > 0, 'Cancel deletes nothing');
    await form.getByRole('button', { name: 'Clear destination history…' }).click();
    const found: string[] = [];
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      const vs = await axeSerious(page);
      if (vs.length) found.push(`/health (${colorScheme}, asking to confirm):\n${describeViolations(vs)}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await screenshot(page, 'destinations-clear-confirm');
    await form.getByRole('button', { name: 'Delete destination history' }).click();
    assert.match(await form.getByRole('status').filter({ hasText: /Deleted/ }).innerText(), /^Deleted [1-9]\d* destination rows and the learned host names\.$/);
    assert.deepEqual(destRows(x.db), { n: 0, bytes: 0 }, 'no destination row left in the store');
    await page.goto(appPage());
    const table = page.getByTestId('destinations-table');
    assert.equal(await table.locator('tbody tr[data-remote]').count(), 0, 'no destination in the table');
    assert.equal(await table.getByTestId('other-destinations').count(), 1, 'the app\'s traffic is all "other destinations"');
    assert.equal(found.join('\n\n'), '', 'axe-core violations');
  });

  test('on again: the collector records, rows come back; axe-core is clean on the panel in both themes', async () => {
    const page = x.b.page;
    await saveSwitch(page, true);
    assert.match(await healthUntil(page, '1'), /^Recording destinations since /);
    const found: string[] = [];
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      const vs = await axeSerious(page);
      if (vs.length) found.push(`/health (${colorScheme}):\n${describeViolations(vs)}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await screenshot(page, 'destinations-settings');
    await sendAndPoll();
    assert.ok(destRows(x.db).bytes >= 60000, 'the new traffic is recorded');
    await page.goto(appPage());
    assert.equal(await page.getByTestId('destinations-off').count(), 0, 'the app page no longer says off');
    assert.ok(Number(await peerRow(page).getAttribute('data-bytes')) >= 60000, 'the peer\'s row is back with the new traffic');
    assert.equal(found.join('\n\n'), '', 'axe-core violations');
  });
});
