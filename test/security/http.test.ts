/**
 * The dashboard's HTTP defences, each against the production build over real HTTP:
 * Host allowlist, authentication everywhere, the CVE-2025-29927 header, login flow,
 * security headers, privilege drop.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseProcStatusCaps, parseProcStatusUids } from '../../lib/security/caps';
import { type Dashboard, IS_ROOT, login, raw, runCli, startDashboard } from './helpers';

let d: Dashboard;
let cookie: string;
let staticChunk: string;

before(async () => {
  d = await startDashboard();
  cookie = await login(d);
  const home = await raw(d, { path: '/', headers: { Cookie: cookie } });
  assert.equal(home.status, 200, 'the signed-in dashboard loads');
  const m = /\/_next\/static\/[^"]+\.js/.exec(home.body);
  assert.ok(m, 'the page references a static chunk');
  staticChunk = m[0];
});
after(async () => d?.stop());

const PATHS = () => ['/', '/networks', '/api/status', '/api/usage', '/api/export.csv', staticChunk, '/manifest.webmanifest', '/sw.js', '/icons/icon-192.png', '/metrics', '/favicon.ico', '/no-such-page'];

test('a Host header outside the allowlist gets 403 before any routing, even with a valid token', async () => {
  const forged = ['evil.example', `evil.example:${d.port}`, `localhost.evil.com:${d.port}`, `127.0.0.1.nip.io:${d.port}`, `localhost:${d.port + 1}`, 'localhost', `localhost.:${d.port}`, `[::2]:${d.port}`, `0.0.0.0:${d.port}`, ''];
  for (const host of forged) {
    for (const path of [...PATHS(), '/login', d.loginUrl.slice(d.loginUrl.indexOf('/login'))]) {
      const r = await raw(d, { path, headers: { Host: host, Authorization: `Bearer ${d.token}`, Cookie: cookie } });
      assert.equal(r.status, 403, `Host ${JSON.stringify(host)} ${path}`);
    }
  }
  for (const host of [`localhost:${d.port}`, `127.0.0.1:${d.port}`, `[::1]:${d.port}`, `LocalHost:${d.port}`]) {
    const r = await raw(d, { path: '/api/status', headers: { Host: host, Authorization: `Bearer ${d.token}` } });
    assert.equal(r.status, 200, `Host ${host} is allowed`);
  }
});

test('without valid credentials every page, API, static file and /metrics answers 401 without detail', async () => {
  const badCredentials: Array<Record<string, string>> = [
    {},
    { Authorization: 'Bearer wrong' },
    { Authorization: `Bearer ${d.token}x` },
    { Authorization: `Bearer ${d.token.slice(0, -1)}` },
    { Authorization: `Basic ${Buffer.from(`appnet:${d.token}`).toString('base64')}` },
    { Authorization: d.token },
    { Cookie: `${cookie}x` },
    { Cookie: cookie.replace(/=.*/, '=AAAAAAAAAAAAAAAAAAAAAA.9999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA') },
    { Cookie: `appnet_session_1=${cookie.split('=')[1]}` },
    { Cookie: `token=${d.token}` },
  ];
  for (const headers of badCredentials) {
    for (const path of PATHS()) {
      const r = await raw(d, { path, headers });
      assert.equal(r.status, 401, `${path} with ${JSON.stringify(headers).slice(0, 60)}`);
      assert.ok(!r.body.includes(d.token) && r.body.length < 300, 'the 401 body says nothing more');
      assert.equal(r.headers['set-cookie'], undefined);
    }
  }
  for (const path of [staticChunk, '/api/status', '/manifest.webmanifest']) {
    assert.equal((await raw(d, { path, headers: { Authorization: `Bearer ${d.token}` } })).status, 200, `${path} with the bearer token`);
    assert.equal((await raw(d, { path, headers: { Cookie: cookie } })).status, 200, `${path} with the session cookie`);
  }
});

test('an x-middleware-subrequest header (CVE-2025-29927) does not skip authentication', async () => {
  const values = ['middleware', 'middleware:middleware:middleware:middleware:middleware', 'src/middleware:src/middleware:src/middleware:src/middleware:src/middleware', 'proxy:proxy:proxy:proxy:proxy', 'pages/_middleware', 'app/page'];
  for (const v of values) {
    for (const path of ['/', '/api/status', '/metrics', staticChunk]) {
      const r = await raw(d, { path, headers: { 'x-middleware-subrequest': v } });
      assert.equal(r.status, 401, `${path} with x-middleware-subrequest: ${v}`);
    }
  }
});

test('the one-time login URL sets an HttpOnly SameSite=Strict cookie, redirects to / and works only once', async () => {
  const url = new URL(d.loginUrl);
  assert.equal(url.hostname, '127.0.0.1');
  assert.equal(Number(url.port), d.port);
  const fresh = await raw(d, { path: '/login' });
  assert.equal(fresh.status, 200, 'the login form is reachable without credentials');
  // The code printed at start was used by before(); a reused code is refused.
  const reused = await raw(d, { path: url.pathname + url.search });
  assert.equal(reused.status, 401);
  assert.equal(reused.headers['set-cookie'], undefined);
  const tampered = await raw(d, { path: url.pathname + url.search.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) });
  assert.equal(tampered.status, 401);
  // A new code from `appnet login-url` (same secret) works once.
  const out = await runCli(['login-url', '--port', String(d.port), '--secret-dir', join(d.dir, 'secret')]);
  assert.equal(out.code, 0, out.stderr);
  const m = /^appnet: dashboard at (http:\/\/\S+)$/m.exec(out.stdout);
  assert.ok(m, out.stdout);
  const u2 = new URL(m[1]);
  assert.equal((await raw(d, { method: 'HEAD', path: u2.pathname + u2.search })).status, 200, 'HEAD does not use the code up');
  const first = await raw(d, { path: u2.pathname + u2.search });
  assert.equal(first.status, 303);
  assert.equal(first.headers.location, '/');
  const setCookie = String(first.headers['set-cookie']);
  assert.match(setCookie, new RegExp(`^appnet_session_${d.port}=[^;]+; Path=/; HttpOnly; SameSite=Strict; Max-Age=\\d+$`));
  assert.equal((await raw(d, { path: '/', headers: { Cookie: setCookie.split(';')[0] } })).status, 200);
  assert.equal((await raw(d, { path: u2.pathname + u2.search })).status, 401, 'the second use is refused');
});

test('the token form signs in only with the right token and only from the same origin', async () => {
  const origin = `http://127.0.0.1:${d.port}`;
  const form = { 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin };
  const ok = await raw(d, { method: 'POST', path: '/login', headers: form, body: `token=${encodeURIComponent(d.token)}` });
  assert.equal(ok.status, 303);
  assert.match(String(ok.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
  assert.equal((await raw(d, { method: 'POST', path: '/login', headers: form, body: 'token=wrong' })).status, 401);
  assert.equal((await raw(d, { method: 'POST', path: '/login', headers: { ...form, Origin: 'http://evil.example' }, body: `token=${encodeURIComponent(d.token)}` })).status, 403);
  assert.equal((await raw(d, { method: 'POST', path: '/login', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${encodeURIComponent(d.token)}` })).status, 403);
});

test('every response carries a strict CSP, frame-ancestors none, nosniff and a same-origin referrer policy', async () => {
  const cases = [
    await raw(d, { path: '/', headers: { Cookie: cookie } }),
    await raw(d, { path: staticChunk, headers: { Cookie: cookie } }),
    await raw(d, { path: '/api/status', headers: { Authorization: `Bearer ${d.token}` } }),
    await raw(d, { path: '/' }),
    await raw(d, { path: '/', headers: { Host: 'evil.example' } }),
    await raw(d, { path: '/login' }),
  ];
  for (const r of cases) {
    const csp = String(r.headers['content-security-policy']);
    assert.match(csp, /script-src 'self' 'nonce-[A-Za-z0-9+/=]{16,}'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-eval|script-src[^;]*unsafe-inline/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /object-src 'none'/);
    assert.match(csp, /base-uri 'none'/);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['referrer-policy'], 'same-origin');
    assert.equal(r.headers['x-powered-by'], undefined);
  }
  const page = cases[0];
  const nonce = /'nonce-([^']+)'/.exec(String(page.headers['content-security-policy']))![1];
  const scripts = page.body.match(/<script\b[^>]*>/g) ?? [];
  assert.ok(scripts.length > 0);
  for (const s of scripts) assert.ok(s.includes(`nonce="${nonce}"`), `every script carries this response's nonce: ${s}`);
});

test('a request-target in absolute form is refused', async () => {
  const r = await raw(d, { path: `http://evil.example/api/status`, headers: { Authorization: `Bearer ${d.token}` } });
  assert.equal(r.status, 400);
});

test('started as root, the web process runs as an unprivileged user with no capabilities', { skip: !IS_ROOT && 'needs root' }, () => {
  // Root only launches the server (server/launch.ts): the one child is the web process.
  const children = readFileSync(`/proc/${d.pid}/task/${d.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  assert.equal(children.length, 1, 'root hands over to one unprivileged server process');
  const status = readFileSync(`/proc/${children[0]}/status`, 'utf8');
  const uids = parseProcStatusUids(status);
  assert.ok(uids.every((u) => u !== 0), `uids ${uids.join(' ')}`);
  const gids = /^Gid:\s+(.*)$/m.exec(status)![1].split(/\s+/).map(Number);
  assert.ok(gids.every((g) => g !== 0), `gids ${gids.join(' ')}`);
  const groups = (/^Groups:\s*(.*)$/m.exec(status)?.[1] ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
  assert.ok(!groups.includes(0), `supplementary groups ${groups.join(' ')}`);
  const caps = parseProcStatusCaps(status);
  assert.equal(caps.effective, 0n);
  assert.equal(caps.permitted, 0n);
  assert.equal(caps.ambient, 0n);
  assert.match(d.stdout(), /dashboard running as \S+ \(uid [1-9]\d*/);
});

test('the secret file is created readable only by its owner', () => {
  const st = statSync(join(d.dir, 'secret', 'web-secret'));
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(st.uid, process.getuid?.());
  assert.ok(d.token.length >= 32);
});
