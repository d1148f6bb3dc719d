/**
 * The rules page and API end to end: production build behind `appnet serve`, headless
 * Chromium. The app is picked from the apps appnet has seen; bad rules are refused with
 * field errors (nothing stored); the nft preview follows the form, for rules and per-app
 * settings alike; statuses turn from pending to applied (or the error) by themselves; a
 * data cap counts the whole cycle and reads as typed; per-app settings can be removed.
 * The collector's part is played by its own planner (collector/rules/plan.ts) writing
 * its results into the same store, as the running collector would.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDb, type Db } from '../../db/open';
import { upsertApp } from '../../db/queries/apps';
import { upsertInterface, upsertNetwork } from '../../db/queries/interfaces';
import { getFwApps, getRules } from '../../db/queries/rules';
import { getOrCreateSeries, insertUsage } from '../../db/store/usage-write';
import { planFirewallFromDb, recordFirewallResult } from '../../collector/rules/plan';
import { ACTION_LABELS, DIRECTION_LABELS, POLICY_LABELS } from '../../lib/rules/vocabulary';
import { screenshot, shareableDir, shareDb, startDashboard, type Browser, type Dashboard, loggedIn } from './helpers';

const MiB = 2 ** 20;
const APPS = [
  { key: 'app:org.mozilla.firefox', name: 'Firefox' },
  { key: 'postgresql.service', name: 'PostgreSQL' },
  { key: 'app:com.spotify.Client', name: 'Spotify' },
];

/** seed adds the apps the picker offers, and 230 MiB of Firefox on a metered mobile link this cycle. */
function seed(db: Db, now: number): void {
  const net = upsertNetwork(db, { netKey: 'iface:wwan0', name: 'Mobile broadband', kind: 'mobile', meteredAuto: true }, now - 3600);
  const iface = upsertInterface(db, { name: 'wwan0', kind: 'mobile', mac: null, networkId: net }, now - 3600);
  const ids = APPS.map((a) => upsertApp(db, { key: a.key, kind: a.key.endsWith('.service') ? 'service' : 'app', name: a.name, unit: null, launcher: null }, now - 3600));
  const series = getOrCreateSeries(db, ids[0], iface, net);
  insertUsage(db, now - 600, [{ seriesId: series, rxBytes: 220 * MiB, txBytes: 10 * MiB, rxPackets: 160_000, txPackets: 20_000 }]);
}

describe('rules page', () => {
  let dir: string;
  let dbPath: string;
  let dash: Dashboard;
  let b: Browser;
  const withDb = <T,>(fn: (db: Db) => T, opts: { write?: boolean } = {}): T => {
    const db = openDb(dbPath, { readonly: !opts.write });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  /** collectorApplies does what the collector does after a poll: plan from the store, then record nft's answer. */
  const collectorApplies = (error: string | null = null) =>
    withDb((db) => {
      planFirewallFromDb(db, []);
      recordFirewallResult(db, error === null, error);
    }, { write: true });

  before(async () => {
    dir = shareableDir('appnet-e2e-rules-');
    dbPath = join(dir, 'appnet.db');
    const db = openDb(dbPath, { migrate: true });
    seed(db, Math.floor(Date.now() / 1000));
    db.close();
    shareDb(dbPath);
    dash = await startDashboard({ db: dbPath });
    b = await loggedIn(dash);
  });
  after(async () => {
    await b?.close();
    await dash?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the app is picked from the apps appnet has seen, by name; an empty form shows no error', async () => {
    const page = b.page;
    await page.goto(`${dash.url}/rules`);
    const form = page.getByTestId('new-rule-form');
    assert.equal(await page.getByTestId('new-rule-preview').innerText(), 'Choose an app to see the nftables rules this becomes.');
    assert.equal(await form.locator('.field-error').count(), 0, 'no error before anything is typed');
    const picker = form.getByRole('combobox', { name: 'App' });
    await picker.fill('fire');
    const options = form.getByRole('listbox').getByRole('option');
    assert.deepEqual(await options.allInnerTexts(), ['Firefox app:org.mozilla.firefox']);
    await picker.fill('sql');
    await form.getByRole('option', { name: /PostgreSQL/ }).click();
    assert.equal(await picker.inputValue(), 'PostgreSQL');
    assert.equal(await form.getByTestId('app-key').innerText(), 'postgresql.service');
    await picker.fill('');
    assert.equal(await picker.getAttribute('aria-activedescendant'), await form.getByRole('listbox').getByRole('option').first().getAttribute('id'), 'the first option is active');
    await picker.press('ArrowDown');
    await picker.press('Enter');
    assert.equal(await form.getByTestId('app-key').innerText(), 'app:org.mozilla.firefox', 'keyboard: down from all other apps to Firefox, Enter picks it');
    await screenshot(page, 'rules-app-picker');
  });

  test('the selects and the precedence text use the same words', async () => {
    const page = b.page;
    const precedence = await page.getByTestId('precedence').innerText();
    const form = page.getByTestId('new-rule-form');
    const texts = async (name: string, scope = form) => scope.locator(`select[name=${name}] option`).allInnerTexts();
    const actions = await texts('action');
    assert.deepEqual(actions, Object.values(ACTION_LABELS));
    const defaults = await texts('defaultIn', page.getByTestId('policy-new-form'));
    assert.deepEqual(defaults, Object.values(POLICY_LABELS));
    for (const word of [...actions, ...defaults, DIRECTION_LABELS.in, DIRECTION_LABELS.out]) assert.ok(precedence.includes(`“${word}”`), `the precedence says “${word}”`);
    assert.ok((await texts('direction')).includes(DIRECTION_LABELS.in));
  });

  test('a bad rule shows field errors and a preview that says why; nothing is stored', async () => {
    const page = b.page;
    const form = page.getByTestId('new-rule-form');
    await form.getByRole('combobox', { name: 'App' }).fill('postgresql.service');
    await form.getByLabel('Direction').selectOption('in');
    await form.getByLabel('Local port(s)').fill('80; flush ruleset');
    await form.getByLabel('Remote addresses (IPv4/IPv6, CIDR, comma-separated)').fill('010.10.0.0/16');
    assert.match(await page.getByTestId('new-rule-preview').innerText(), /^This rule cannot be saved as it is: .*'010\.10\.0\.0\/16' is not a valid IPv4 address/);
    await form.getByRole('button', { name: 'Add rule' }).click();
    await form.locator('.field-error', { hasText: "local port: '80; flush ruleset' is not a port" }).waitFor();
    await form.locator('.field-error', { hasText: "remote: '010.10.0.0/16' is not a valid IPv4 address: write four decimal numbers" }).waitFor();
    await screenshot(page, 'rules-field-errors');
    assert.equal(withDb((db) => getRules(db).length), 0);
  });

  test('a good rule previews its nft text, is added, turns applied by itself, is disabled and deleted with a destructive button', async () => {
    const page = b.page;
    const form = page.getByTestId('new-rule-form');
    await form.getByLabel('Local port(s)').fill('');
    await form.getByLabel('Remote addresses (IPv4/IPv6, CIDR, comma-separated)').fill('10.10.0.0/16, fd00::/8');
    assert.equal(
      await page.getByTestId('new-rule-preview').innerText(),
      [
        'add rule inet appnet fw_anew_in ip saddr 10.10.0.0/16 counter name "fw_rnew" accept comment "appnet:rnew"',
        'add rule inet appnet fw_anew_in ip6 saddr fd00::/8 counter name "fw_rnew" accept comment "appnet:rnew"',
      ].join('\n'),
    );
    await form.getByRole('button', { name: 'Add rule' }).click();
    await form.getByRole('status').filter({ hasText: 'Rule 1 added; the collector applies it within seconds.' }).waitFor();
    const row = page.getByTestId('rule-1');
    assert.match(await row.innerText(), /PostgreSQL[\s\S]*in[\s\S]*allow[\s\S]*remote 10\.10\.0\.0\/16,fd00::\/8[\s\S]*pending/);
    collectorApplies();
    await row.getByTestId('rule-status').filter({ hasText: 'applied' }).waitFor({ timeout: 10_000 });
    await screenshot(page, 'rules-added');

    const del = row.getByRole('button', { name: 'Delete' });
    const colours = async (name: string) => row.getByRole('button', { name }).evaluate((el) => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]);
    const [delText, delBg] = await colours('Delete');
    const rgb = (c: string) => (c.match(/\d+/g) ?? []).map(Number);
    assert.ok(rgb(delText)[0] > rgb(delText)[1] + 60 && rgb(delText)[0] > rgb(delText)[2] + 60, `Delete is drawn in red: ${delText} on ${delBg}`);
    assert.notDeepEqual([delText, delBg], await colours('Edit'), 'Delete does not look like Edit');

    await row.getByRole('button', { name: 'Disable' }).click();
    await row.getByRole('button', { name: 'Enable' }).waitFor();
    assert.equal(withDb((db) => getRules(db)[0].enabled), false);
    await row.getByTestId('rule-status').filter({ hasText: 'pending' }).waitFor();
    collectorApplies('Error: Could not process rule: No such file or directory');
    await row.locator('.field-error', { hasText: 'No such file or directory' }).waitFor({ timeout: 10_000 });
    assert.equal(await row.getByTestId('rule-status').innerText(), 'error', 'the failure shows by itself, with its reason');
    page.once('dialog', (d) => void d.accept());
    await del.click();
    await row.waitFor({ state: 'detached' });
    assert.equal(withDb((db) => getRules(db).length), 0);
  });

  test('per-app settings get an nft preview and a confirmation; a 50MiB cap reads as typed and counts the cycle so far', async () => {
    const page = b.page;
    await page.goto(`${dash.url}/rules`);
    const form = page.getByTestId('policy-new-form');
    await form.getByRole('combobox', { name: 'App' }).fill('Firefox');
    await form.getByLabel('Data cap per cycle').fill('2 lots');
    assert.match(await page.getByTestId('policy-new-preview').innerText(), /cannot be saved as they are: data cap: '2 lots' is not a size/);
    await form.getByRole('button', { name: 'Save settings' }).click();
    await form.locator('.field-error', { hasText: "'2 lots' is not a size" }).waitFor();
    await form.getByLabel('Data cap per cycle').fill('50MiB');
    await form.getByLabel('Inbound default').selectOption({ label: POLICY_LABELS.reject });
    assert.equal(
      await page.getByTestId('policy-new-preview').innerText(),
      [
        'add quota inet appnet fw_qnew { over 52428800 bytes }',
        'add rule inet appnet fw_anew_in iifname @if_metered quota name "fw_qnew" drop comment "appnet:quota"',
        'add rule inet appnet fw_anew_out oifname @if_metered quota name "fw_qnew" drop comment "appnet:quota"',
        'add rule inet appnet fw_anew_in meta l4proto tcp reject with tcp reset comment "appnet:default"',
        'add rule inet appnet fw_anew_in reject comment "appnet:default"',
      ].join('\n'),
    );
    await form.getByRole('button', { name: 'Save settings' }).click();
    await form.getByRole('status').filter({ hasText: 'Settings of Firefox saved; the collector applies it within seconds.' }).waitFor();
    // The form starts over in an effect after the status renders: give that render its moment.
    const appBox = form.getByRole('combobox', { name: 'App' });
    await page.waitForFunction((el) => (el as HTMLInputElement | null)?.value === '', await appBox.elementHandle(), { timeout: 5000 }).catch(() => undefined);
    assert.equal(await appBox.inputValue(), '', 'the form for another app starts over');
    const saved = page.getByTestId('policy-app:org.mozilla.firefox-settings');
    await saved.waitFor();
    assert.equal(withDb((db) => getFwApps(db).find((a) => a.app === 'app:org.mozilla.firefox')?.quotaBytes), 50 * MiB);
    assert.equal(await saved.getByLabel('Data cap per cycle').inputValue(), '50 MiB', 'the cap reads as typed, not 52428800');
    assert.match(await saved.getByTestId('policy-app:org.mozilla.firefox-preview').innerText(), /^add quota inet appnet fw_q\d+ \{ over 52428800 bytes \}/);
    collectorApplies();
    const quota = saved.getByTestId('quota');
    await quota.filter({ hasText: '230 MiB of 50 MiB on metered networks this cycle — blocked until the next cycle' }).waitFor({ timeout: 10_000 });
    await saved.getByTestId('rule-status').filter({ hasText: 'applied' }).waitFor();
    await screenshot(page, 'rules-quota');
  });

  test('per-app settings can be removed (the app\'s rules stay), in the page and through the API', async () => {
    const page = b.page;
    const auth = { authorization: `Bearer ${dash.token}`, 'content-type': 'application/json' };
    let res = await fetch(`${dash.url}/api/rules`, { method: 'POST', headers: auth, body: JSON.stringify({ app: 'app:org.mozilla.firefox', direction: 'out', action: 'count' }) });
    assert.equal(res.status, 201);
    await page.reload();
    const saved = page.getByTestId('policy-app:org.mozilla.firefox-settings');
    const remove = saved.getByRole('button', { name: 'Remove settings' });
    const colour = await remove.evaluate((el) => getComputedStyle(el).color);
    const [r, g] = (colour.match(/\d+/g) ?? []).map(Number);
    assert.ok(r > g + 60, `Remove settings looks destructive: ${colour}`);
    page.once('dialog', (d) => void d.accept());
    await remove.click();
    await saved.waitFor({ state: 'detached' });
    const row = withDb((db) => getFwApps(db).find((a) => a.app === 'app:org.mozilla.firefox'));
    assert.deepEqual([row?.defaultIn, row?.quotaBytes], ['inherit', null], 'reset to nothing of its own');
    assert.equal(withDb((db) => getRules(db).length), 1, 'its rule stays');

    res = await fetch(`${dash.url}/api/rules/apps`, { method: 'PUT', headers: auth, body: JSON.stringify({ app: 'app:com.spotify.Client', quotaBytes: '1GiB' }) });
    assert.equal(res.status, 200);
    res = await fetch(`${dash.url}/api/rules/apps?app=app:com.spotify.Client`, { method: 'DELETE', headers: auth });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { app: 'app:com.spotify.Client', rulesKept: 0 });
    assert.equal(withDb((db) => getFwApps(db).some((a) => a.app === 'app:com.spotify.Client')), false, 'no rules: the row is gone');
    res = await fetch(`${dash.url}/api/rules/apps?app=app:com.spotify.Client`, { method: 'DELETE', headers: auth });
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { error: { code: 'not_found', message: 'app:com.spotify.Client has no settings of its own.', fields: {} } });
  });

  test('the API answers in one error shape: 400 with field errors, 404 for unknown rules, 201 for a good rule', async () => {
    const auth = { authorization: `Bearer ${dash.token}`, 'content-type': 'application/json' };
    let res = await fetch(`${dash.url}/api/rules`, { method: 'POST', headers: auth, body: JSON.stringify({ app: 'nginx.service', direction: 'up', action: 'allow', localPort: 70000 }) });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; message: string; fields: Record<string, string[]> } };
    assert.equal(body.error.code, 'bad_request');
    assert.deepEqual(Object.keys(body.error.fields).sort(), ['direction', 'localPort']);
    assert.match(body.error.message, /port 70000 is out of range/);
    res = await fetch(`${dash.url}/api/rules`, { method: 'POST', headers: auth, body: '{nope' });
    assert.deepEqual(await res.json(), { error: { code: 'bad_request', message: 'The request body must be JSON.', fields: { _: ['the request body must be JSON'] } } });
    res = await fetch(`${dash.url}/api/rules/999`, { method: 'PATCH', headers: auth, body: JSON.stringify({ enabled: false }) });
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'not_found');
    res = await fetch(`${dash.url}/api/rules`, { method: 'POST', headers: auth, body: JSON.stringify({ app: 'nginx.service', direction: 'both', action: 'count', protocol: 'tcp', localPort: '80' }) });
    assert.equal(res.status, 201);
    const created = (await res.json()) as { id: number; status: string };
    assert.equal(created.status, 'pending');
    res = await fetch(`${dash.url}/api/rules/${created.id}`, { method: 'PATCH', headers: auth, body: JSON.stringify({ comment: 'bad "quote"' }) });
    assert.equal(res.status, 400);
    res = await fetch(`${dash.url}/api/rules/${created.id}`, { method: 'PATCH', headers: auth, body: JSON.stringify({ comment: 'web' }) });
    const patched = (await res.json()) as { protocol: string; localPort: string; comment: string };
    assert.deepEqual([patched.protocol, patched.localPort, patched.comment], ['tcp', '80', 'web'], 'a PATCH changes only what it names');
    res = await fetch(`${dash.url}/api/rules`, { headers: auth });
    const list = (await res.json()) as { rules: { id: number; comment: string }[]; precedence: string[] };
    assert.ok(list.rules.some((r) => r.id === created.id && r.comment === 'web'));
    assert.ok(list.precedence.length >= 4);
  });
});
