/**
 * The rules page and API end to end: production build behind `appnet serve`, headless
 * Chromium. Bad rules are refused with field errors (nothing stored), the nft preview
 * follows the form, and rules can be added, disabled and deleted; caps show their use.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDb, type Db } from '../../db/open';
import { getFwApps, getRules } from '../../db/queries/rules';
import { screenshot, shareableDir, shareDb, startDashboard, type Browser, type Dashboard, loggedIn } from './helpers';

describe('rules page', () => {
  let dir: string;
  let dbPath: string;
  let dash: Dashboard;
  let b: Browser;
  const read = <T,>(fn: (db: Db) => T): T => {
    const db = openDb(dbPath, { readonly: true });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };

  before(async () => {
    dir = shareableDir('appnet-e2e-rules-');
    dbPath = join(dir, 'appnet.db');
    openDb(dbPath, { migrate: true }).close();
    shareDb(dbPath);
    dash = await startDashboard({ db: dbPath });
    b = await loggedIn(dash);
  });
  after(async () => {
    await b?.close();
    await dash?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a bad rule shows field errors and a preview that says why; nothing is stored', async () => {
    const page = b.page;
    await page.goto(`${dash.url}/rules`);
    const form = page.getByTestId('new-rule-form');
    await form.locator('input[name=app]').fill('postgresql.service');
    await form.getByLabel('Direction').selectOption('in');
    await form.getByLabel('Local port(s)').fill('80; flush ruleset');
    await form.getByLabel('Remote addresses (IPv4/IPv6, CIDR, comma-separated)').fill('10.10.0.0/33');
    assert.match(await page.getByTestId('new-rule-preview').innerText(), /^Not valid yet: .*not a valid CIDR/);
    await form.getByRole('button', { name: 'Add rule' }).click();
    await form.locator('.field-error', { hasText: "local port: '80; flush ruleset' is not a port" }).waitFor();
    await form.locator('.field-error', { hasText: "remote: '10.10.0.0/33' is not a valid CIDR" }).waitFor();
    await screenshot(page, 'rules-field-errors');
    assert.equal(read((db) => getRules(db).length), 0);
  });

  test('a good rule previews its nft text, is added, disabled and deleted', async () => {
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
    await page.getByTestId('rule-1').waitFor();
    assert.match(await page.getByTestId('rule-1').innerText(), /postgresql\.service[\s\S]*in[\s\S]*allow[\s\S]*remote 10\.10\.0\.0\/16,fd00::\/8[\s\S]*pending/);
    await screenshot(page, 'rules-added');
    await page.getByTestId('rule-1').getByRole('button', { name: 'Disable' }).click();
    await page.getByTestId('rule-1').getByRole('button', { name: 'Enable' }).waitFor();
    assert.equal(read((db) => getRules(db)[0].enabled), 0);
    page.once('dialog', (d) => void d.accept());
    await page.getByTestId('rule-1').getByRole('button', { name: 'Delete' }).click();
    await page.getByTestId('rule-1').waitFor({ state: 'detached' });
    assert.equal(read((db) => getRules(db).length), 0);
  });

  test('a data cap is saved per app and its use is shown', async () => {
    const page = b.page;
    await page.goto(`${dash.url}/rules`);
    const form = page.getByTestId('policy-new-form');
    await form.locator('input[list=policy-new-apps]').fill('app:firefox');
    await form.getByLabel('Data cap per cycle').fill('2 lots');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.locator('.field-error', { hasText: "'2 lots' is not a size" }).waitFor();
    await form.getByLabel('Data cap per cycle').fill('2GiB');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('policy-app:firefox-form').waitFor();
    assert.equal(read((db) => getFwApps(db).find((a) => a.appKey === 'app:firefox')?.quotaBytes), 2 * 2 ** 30);
    const db = openDb(dbPath);
    db.prepare("UPDATE fw_apps SET quota_used = ? WHERE app_key = 'app:firefox'").run(2 ** 30);
    db.close();
    await page.reload();
    assert.match(await page.getByTestId('policy-app:firefox-form').getByTestId('quota').innerText(), /1\.00 GiB of 2\.00 GiB on metered networks/);
    await screenshot(page, 'rules-quota');
  });

  test('the API answers 400 with field errors, 404 for unknown rules, 201 for a good rule', async () => {
    const auth = { authorization: `Bearer ${dash.token}`, 'content-type': 'application/json' };
    let res = await fetch(`${dash.url}/api/rules`, { method: 'POST', headers: auth, body: JSON.stringify({ app: 'nginx.service', direction: 'up', action: 'allow', localPort: 70000 }) });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: string; fields: Record<string, string[]> };
    assert.deepEqual(Object.keys(body.fields).sort(), ['direction', 'localPort']);
    assert.match(body.error, /port 70000 is out of range/);
    res = await fetch(`${dash.url}/api/rules/999`, { method: 'PATCH', headers: auth, body: JSON.stringify({ enabled: false }) });
    assert.equal(res.status, 404);
    res = await fetch(`${dash.url}/api/rules`, { method: 'POST', headers: auth, body: JSON.stringify({ app: 'nginx.service', direction: 'both', action: 'count' }) });
    assert.equal(res.status, 201);
    const created = (await res.json()) as { id: number; status: string };
    assert.equal(created.status, 'pending');
    res = await fetch(`${dash.url}/api/rules/${created.id}`, { method: 'PATCH', headers: auth, body: JSON.stringify({ comment: 'bad "quote"' }) });
    assert.equal(res.status, 400);
    res = await fetch(`${dash.url}/api/rules`, { headers: auth });
    const list = (await res.json()) as { rules: { id: number; comment: string }[]; precedence: string[] };
    assert.deepEqual(list.rules.map((r) => [r.id, r.comment]), [[created.id, '']]);
    assert.ok(list.precedence.length >= 4);
  });
});
