/**
 * The dashboard in headless Chromium under its real CSP: pages render and hydrate with zero
 * CSP violations, and a hostile page on another local port (same-site, so the SameSite=Strict
 * cookie IS sent) cannot change anything with forms or fetch.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { openDb } from '../../db/open';
import { type Dashboard, freePort, startDashboard } from './helpers';

let d: Dashboard;
let ctx: BrowserContext;
let page: Page;
let profile: string;
const violations: string[] = [];

before(async () => {
  d = await startDashboard();
  profile = mkdtempSync(join(tmpdir(), 'appnet-sec-chromium-'));
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  page = ctx.pages()[0] ?? (await ctx.newPage());
  await ctx.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP-VIOLATION ${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
  });
  page.on('console', (m) => {
    if (/CSP-VIOLATION|Content Security Policy/i.test(m.text())) violations.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => violations.push(`${page.url()}: page error ${e.message}`));
});
after(async () => {
  await ctx?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await d?.stop();
});

function networks(): Array<Record<string, unknown>> {
  const db = openDb(d.dbPath, { readonly: true });
  try {
    return db.prepare('SELECT id, net_key, metered_user, cycle_start_day, plan_bytes FROM networks ORDER BY id').all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}

async function settle(p: Page): Promise<void> {
  await p.waitForLoadState('load');
  await p.waitForFunction(() => Object.keys(document).some((k) => k.startsWith('__reactContainer')), null, { timeout: 15_000 }).catch(() => undefined);
  await p.waitForTimeout(300);
}

function hydrated(p: Page): Promise<boolean> {
  return p.evaluate(() => Object.keys(document).some((k) => k.startsWith('__reactContainer')) || Object.keys(document.documentElement).some((k) => k.startsWith('__react')));
}

test('the pages load, hydrate and work under the strict CSP with zero violations', async () => {
  await page.goto(d.loginUrl);
  await page.waitForURL((u) => u.pathname === '/');
  await settle(page);
  assert.ok(await hydrated(page), 'React hydrated the overview');
  const appLink = await page.locator('a[href^="/apps/"]').first().getAttribute('href');
  for (const path of ['/?period=7d', '/networks', '/rules', appLink ?? '/', '/no-such-page']) {
    await page.goto(new URL(path, d.base).href);
    await settle(page);
    assert.ok(await hydrated(page), `React hydrated ${path}`);
  }
  // A real state change through the page's own form (server action) works: the control for the next test.
  await page.goto(new URL('/networks', d.base).href);
  const form = page.locator('form.netform').first();
  await form.getByLabel('Billing cycle starts on day').fill('17');
  await form.getByRole('button', { name: 'Save' }).click();
  await form.getByText('Saved.').waitFor();
  assert.ok(networks().some((n) => n.cycle_start_day === 17), 'the same-origin form saved');
  // The dashboard's own fetch() of a JSON API carries its Origin, so the session may change state.
  const created = await page.evaluate(async () => {
    const r = await fetch('/api/rules', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ app: 'nginx.service', direction: 'out', action: 'drop', remote: '192.0.2.0/24' }) });
    return r.status;
  });
  assert.equal(created, 201, 'a same-origin JSON POST from the page is accepted');
  assert.deepEqual(violations, []);
});

function attackerPage(target: string): string {
  const netId = 1;
  return `<!doctype html><html><body>
<form id="text" method="POST" enctype="text/plain" action="${target}/api/rules" target="f1"><input name='{"app":"*","direction":"out","action":"drop","comment":"' value='x"}'></form>
<form id="url" method="POST" action="${target}/networks" target="f2"><input name="id" value="${netId}"><input name="metered" value="yes"><input name="cycleStartDay" value="3"><input name="planGiB" value="1"></form>
<form id="multi" method="POST" enctype="multipart/form-data" action="${target}/networks" target="f3"><input name="id" value="${netId}"><input name="metered" value="no"><input name="cycleStartDay" value="4"><input name="planGiB" value="2"></form>
<iframe name="f1"></iframe><iframe name="f2"></iframe><iframe name="f3"></iframe><iframe id="embed" src="${target}/"></iframe>
<script>
for (const id of ['text', 'url', 'multi']) document.getElementById(id).submit();
const results = [];
const tries = [
  fetch('${target}/api/rules', { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'Content-Type': 'text/plain' }, body: '{"app":"*","direction":"out","action":"drop"}' }),
  fetch('${target}/networks', { method: 'POST', mode: 'no-cors', credentials: 'include', body: new URLSearchParams({ id: '${netId}', metered: 'yes', cycleStartDay: '5', planGiB: '3' }) }),
  fetch('${target}/api/rules', { method: 'POST', mode: 'cors', credentials: 'include', headers: { 'Content-Type': 'application/json' }, body: '{"app":"*","direction":"out","action":"drop"}' }),
  fetch('${target}/api/status', { credentials: 'include' }),
];
Promise.allSettled(tries).then((r) => { window.done = r.map((x) => x.status + ':' + (x.value ? x.value.type + ' ' + x.value.status : String(x.reason))); });
</script></body></html>`;
}

test('a hostile page on another local port cannot change state with forms or fetch, nor read or frame the dashboard', async () => {
  const before = networks();
  const port = await freePort();
  const target = d.base;
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(attackerPage(target));
  });
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  try {
    const answers: Array<{ method: string; url: string; status: number; cookie: boolean }> = [];
    page.on('response', async (r) => {
      if (!r.url().startsWith(target)) return;
      const h = await r.request().allHeaders();
      answers.push({ method: r.request().method(), url: r.url(), status: r.status(), cookie: Boolean(h.cookie) });
    });
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => (window as unknown as { done?: string[] }).done !== undefined, null, { timeout: 15_000 });
    await page.waitForTimeout(1000);
    const done = await page.evaluate(() => (window as unknown as { done: string[] }).done);
    for (const i of [0, 1]) assert.match(done[i], /^(fulfilled:opaque 0|rejected:.*)$/, 'a no-cors POST gives nothing back');
    assert.match(done[2], /^rejected:/, 'a JSON POST needs a CORS preflight, which is refused');
    assert.match(done[3], /^rejected:/, 'the dashboard cannot be read cross-origin');
    const unsafe = answers.filter((a) => a.method === 'POST');
    assert.ok(unsafe.length >= 3, `the three form attacks reached the server: ${JSON.stringify(answers)}`);
    for (const a of unsafe) assert.equal(a.status, 403, `${a.method} ${a.url}`);
    assert.ok(unsafe.some((a) => a.cookie), 'the session cookie was sent (same-site), so the Origin check is what refused it');
    const framed = page.frames().find((f) => f.url().startsWith(target) && f.url().endsWith('/'));
    assert.ok(!framed || (await framed.locator('main').count().catch(() => 0)) === 0, 'frame-ancestors none: the dashboard does not render in a frame');
    assert.deepEqual(networks(), before, 'nothing in the store changed');
  } finally {
    server.close();
  }
});
