/**
 * Sign-in and the limits around it, against the production build over real HTTP:
 * signed-out page visits land on the sign-in page, a restart does not bring back used login
 * codes or logged-out cookies (#17.7), failed sign-ins are rate-limited and API bodies are
 * size-limited (#17.8), and cookie-authenticated API reads must come from the dashboard's
 * own pages (#17.5).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { type Dashboard, login, raw, startDashboard } from './helpers';

const TOKEN = randomBytes(32).toString('base64url');
const running: Dashboard[] = [];
after(async () => {
  for (const d of running) await d.stop();
});

async function start(): Promise<Dashboard> {
  const d = await startDashboard({ env: { APPNET_TOKEN: TOKEN } });
  running.push(d);
  return d;
}

const pathOf = (url: string): string => url.slice(url.indexOf('/login'));

test('a signed-out browser visiting a page is sent to the sign-in page; API and scripts still get a bare 401', async () => {
  const d = await start();
  for (const path of ['/', '/rules', '/networks', '/apps/1']) {
    const r = await raw(d, { path, headers: { Accept: 'text/html,application/xhtml+xml' } });
    assert.equal(r.status, 303, path);
    assert.equal(r.headers.location, '/login', path);
  }
  const page = await raw(d, { path: '/login', headers: { Accept: 'text/html' } });
  assert.equal(page.status, 200);
  assert.match(page.body, /<form method="post" action="\/login">/);
  assert.equal((await raw(d, { path: '/api/status', headers: { Accept: 'text/html' } })).status, 401);
  assert.equal((await raw(d, { path: '/' })).status, 401);
});

test('cookie-authenticated API reads are refused unless Sec-Fetch-Site is same-origin or none', async () => {
  const d = running[0];
  const cookie = await formLogin(d);
  for (const site of ['same-site', 'cross-site', 'SAME-ORIGIN', 'bogus']) {
    for (const path of ['/api/status', '/api/usage', '/api/export.csv', '/api/rules']) {
      const r = await raw(d, { path, headers: { Cookie: cookie, 'Sec-Fetch-Site': site, 'Sec-Fetch-Dest': 'image' } });
      assert.equal(r.status, 403, `${site} ${path}`);
    }
  }
  for (const site of ['same-origin', 'none']) {
    assert.equal((await raw(d, { path: '/api/status', headers: { Cookie: cookie, 'Sec-Fetch-Site': site } })).status, 200, site);
  }
  assert.equal((await raw(d, { path: '/api/status', headers: { Cookie: cookie } })).status, 200, 'no Sec-Fetch-Site (curl): the cookie alone');
  assert.equal((await raw(d, { path: '/api/status', headers: { Authorization: `Bearer ${TOKEN}`, 'Sec-Fetch-Site': 'cross-site' } })).status, 200, 'a bearer token is never sent by a browser on its own');
  assert.equal((await raw(d, { path: '/', headers: { Cookie: cookie, 'Sec-Fetch-Site': 'same-site' } })).status, 200, 'pages may be linked from anywhere');
});

test('authenticated API bodies are limited to 64 KiB, and must declare their length', async () => {
  const d = running[0];
  const auth = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };
  const big = JSON.stringify({ action: 'drop', app: 'x'.repeat(70 * 1024) });
  assert.equal((await raw(d, { method: 'POST', path: '/api/rules', headers: auth, body: big })).status, 413);
  const chunked = await raw(d, { method: 'POST', path: '/api/rules', headers: { ...auth, 'Transfer-Encoding': 'chunked' }, body: undefined });
  assert.equal(chunked.status, 411);
  const small = await raw(d, { method: 'POST', path: '/api/rules', headers: auth, body: '{"action":"nonsense"}' });
  assert.equal(small.status, 400, 'a small body reaches the route, which explains what is wrong');
});

/** formLogin posts the token into the sign-in form and returns the session cookie pair. */
async function formLogin(d: Dashboard): Promise<string> {
  const r = await raw(d, { method: 'POST', path: '/login', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: d.base }, body: `token=${TOKEN}` });
  assert.equal(r.status, 303);
  return String(r.headers['set-cookie']).split(';')[0];
}

test('after a restart a used login code and a logged-out cookie stay refused', async () => {
  const first = running[0];
  const usedCode = first.loginUrl;
  assert.ok(await login(first, usedCode));
  const cookie = await formLogin(first);
  const out = await raw(first, { method: 'POST', path: '/logout', headers: { Cookie: cookie, Origin: first.base } });
  assert.equal(out.status, 303);
  assert.equal((await raw(first, { path: '/api/status', headers: { Cookie: cookie } })).status, 401, 'logged out');
  await first.stop();
  running.shift();

  const second = await start();
  const port = second.port;
  // The same secret, so the old code and cookie carry valid signatures; only the port differs.
  const code = pathOf(usedCode);
  const replay = await raw(second, { path: code });
  assert.equal(replay.status, 401, 'the used login code does not work again');
  const cookieHere = cookie.replace(/^appnet_session_\d+=/, `appnet_session_${port}=`);
  assert.equal((await raw(second, { path: '/api/status', headers: { Cookie: cookieHere } })).status, 401, 'the logged-out cookie stays logged out');
  assert.ok(await login(second), 'a code minted by this run works');
});

test('failed sign-ins are rate-limited: 300 wrong tokens get mostly 429, unchecked', async () => {
  const d = running[running.length - 1];
  const form = { 'Content-Type': 'application/x-www-form-urlencoded', Origin: d.base };
  const counts = new Map<number, number>();
  for (let i = 0; i < 300; i++) {
    const r = await raw(d, { method: 'POST', path: '/login', headers: form, body: `token=wrong${i}${'x'.repeat(40)}` });
    counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  }
  assert.ok((counts.get(401) ?? 0) <= 60, `at most the burst plus one a second were checked: ${JSON.stringify([...counts])}`);
  assert.ok((counts.get(429) ?? 0) >= 200, JSON.stringify([...counts]));
  const limited = await raw(d, { method: 'POST', path: '/login', headers: form, body: `token=${TOKEN}` });
  assert.equal(limited.status, 429, 'while limited even the right token is not checked (no oracle)');
  assert.ok(Number(limited.headers['retry-after']) >= 1);
  const codes = await raw(d, { path: '/login?t=AAAAAAAAAAAAAAAAAAAAAA.9999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
  assert.equal(codes.status, 429, 'guessing login codes draws from the same limit');
});
