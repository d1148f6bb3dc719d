/**
 * End-to-end helpers, reusable by any browser test: a seeded or real store, the production
 * dashboard started the way users start it (`appnet serve`, after `next build`), and Debian's
 * Chromium driven by playwright-core in a persistent profile (where PWA install checks work).
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchBrowser, type Browser } from '../../harness/browser';
import type { Dashboard } from '../../harness/dashboard';

export { freePort, serveWrites, shareableDir, shareDb, startDashboard, webGid, type Dashboard } from '../../harness/dashboard';
export { launchBrowser, type Browser } from '../../harness/browser';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const RESULTS = join(ROOT, 'test-results');

/** screenshot saves a full-page PNG to test-results/<name>.png for a person to look at. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS, { recursive: true });
  const path = join(RESULTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** loggedIn launches Chromium (see launchBrowser) and logs in once with the dashboard's one-time URL. */
export async function loggedIn(dash: Dashboard, opts: Parameters<typeof launchBrowser>[0] = {}): Promise<Browser> {
  const b = await launchBrowser(opts);
  await b.page.goto(dash.loginUrl);
  await b.page.waitForURL((u) => !u.pathname.startsWith('/login'));
  return b;
}
