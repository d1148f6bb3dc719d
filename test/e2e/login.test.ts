/**
 * Signing in as a new user does (#16.1): open the dashboard signed out, land on the sign-in
 * page, paste the access token into the form, use the dashboard, sign out with the control
 * in the top bar. Real Chromium, production build; the form post must carry the dashboard's
 * own Origin (under `Referrer-Policy: no-referrer` Chromium sent `Origin: null`, and the
 * CSRF check rightly refused it).
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { seedDb } from '../fixtures/seed';
import { launchBrowser, shareableDir, shareDb, startDashboard, type Browser, type Dashboard } from './helpers';

let dir: string;
let dash: Dashboard;
let b: Browser;

before(async () => {
  dir = shareableDir('appnet-e2e-login-');
  const seeded = seedDb(join(dir, 'appnet.db'), { now: Date.now() / 1000, days: 2 });
  shareDb(seeded.path);
  dash = await startDashboard({ db: seeded.path });
  b = await launchBrowser();
});
after(async () => {
  await b?.close();
  await dash?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('signed out, / and /rules open the sign-in page; the token typed into the form signs in; Sign out signs out', async () => {
  const { page } = b;
  const origin = new URL(dash.url).origin;
  for (const path of ['/', '/rules']) {
    await page.goto(`${origin}${path}`);
    assert.equal(new URL(page.url()).pathname, '/login', `${path} lands on the sign-in page`);
    await page.getByLabel('Access token').waitFor();
  }
  const posted: Array<string | null> = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/login') posted.push(r.headers().origin ?? null);
  });
  await page.getByLabel('Access token').fill(dash.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.pathname === '/');
  assert.deepEqual(posted, [origin], 'the form posted with the dashboard origin');
  await page.getByRole('navigation', { name: 'Main' }).waitFor();

  await page.goto(`${origin}/rules`);
  assert.equal(new URL(page.url()).pathname, '/rules', 'the session opens /rules');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL((u) => u.pathname === '/login');
  await page.goto(`${origin}/rules`);
  assert.equal(new URL(page.url()).pathname, '/login', 'signed out again');
});

test('a wrong token is refused on the sign-in page, in a sentence', async () => {
  const { page } = b;
  await page.goto(`${new URL(dash.url).origin}/login`);
  await page.getByLabel('Access token').fill('not-the-token-'.repeat(3));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('That token is not correct.').waitFor();
});
