/**
 * Cross-site request forgery over real HTTP: a valid session cookie alone never changes
 * anything. Each variant a browser could be tricked into sending is refused by the server's
 * gate; the same request from the dashboard's own origin gets through it (a control that
 * shows the test can fail).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openDb } from '../../db/open';
import { type Dashboard, login, raw, startDashboard } from './helpers';

let d: Dashboard;
let cookie: string;
let origin: string;
let host: string;

before(async () => {
  d = await startDashboard();
  cookie = await login(d);
  host = `127.0.0.1:${d.port}`;
  origin = `http://${host}`;
});
after(async () => d?.stop());

function networksSnapshot(): string {
  const db = openDb(d.dbPath, { readonly: true });
  try {
    return JSON.stringify(db.prepare('SELECT id, metered_user, cycle_start_day, plan_bytes FROM networks ORDER BY id').all());
  } finally {
    db.close();
  }
}

const TARGETS = ['/networks', '/api/status', '/api/rules', '/', '/logout'];
const METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];

test('cookie-authenticated state changes from any other origin, or with no usable Origin, get 403', async () => {
  const before = networksSnapshot();
  const variants: Array<{ name: string; headers: Record<string, string> }> = [
    { name: 'foreign Origin', headers: { Origin: 'http://evil.example' } },
    { name: 'Origin: null', headers: { Origin: 'null' } },
    { name: 'no Origin', headers: {} },
    { name: 'another port on localhost (same-site)', headers: { Origin: `http://127.0.0.1:${d.port + 1}` } },
    { name: 'same port, other loopback name', headers: { Origin: `http://localhost:${d.port}` } },
    { name: 'https scheme', headers: { Origin: `https://${host}` } },
    { name: 'Origin with a path', headers: { Origin: `${origin}/` } },
    { name: 'Referer only', headers: { Referer: `${origin}/networks` } },
    { name: 'right Origin but Sec-Fetch-Site cross-site', headers: { Origin: origin, 'Sec-Fetch-Site': 'cross-site' } },
    { name: 'right Origin but Sec-Fetch-Site same-site', headers: { Origin: origin, 'Sec-Fetch-Site': 'same-site' } },
  ];
  const bodies: Array<{ type: string; body: string }> = [
    { type: 'text/plain', body: '{"action":"drop","app":"*","direction":"out"}' },
    { type: 'application/x-www-form-urlencoded', body: 'id=1&metered=yes&cycleStartDay=5&planGiB=1' },
    { type: 'multipart/form-data; boundary=x', body: '--x\r\nContent-Disposition: form-data; name="id"\r\n\r\n1\r\n--x--\r\n' },
    { type: 'application/json', body: '{"action":"drop"}' },
  ];
  let n = 0;
  for (const v of variants) {
    for (const method of METHODS) {
      for (const path of TARGETS) {
        for (const b of bodies) {
          const r = await raw(d, { method, path, headers: { Cookie: cookie, 'Content-Type': b.type, 'Next-Action': 'x', ...v.headers }, body: b.body });
          assert.equal(r.status, 403, `${v.name}: ${method} ${path} ${b.type}`);
          n++;
        }
      }
    }
  }
  assert.ok(n >= 800);
  assert.equal(networksSnapshot(), before, 'nothing changed in the store');
});

test('a same-origin API request with a non-JSON body (the text/plain form trick) gets 415', async () => {
  for (const type of ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', '']) {
    const headers: Record<string, string> = { Cookie: cookie, Origin: origin };
    if (type) headers['Content-Type'] = type;
    const r = await raw(d, { method: 'POST', path: '/api/rules', headers, body: '{"a":1}' });
    assert.equal(r.status, 415, `Content-Type ${JSON.stringify(type)}`);
  }
});

test('control: the same request from the dashboard origin passes the gate (Next.js answers, not the gate)', async () => {
  const r = await raw(d, { method: 'POST', path: '/api/status', headers: { Cookie: cookie, Origin: origin, 'Sec-Fetch-Site': 'same-origin', 'Content-Type': 'application/json' }, body: '{}' });
  assert.equal(r.status, 405, 'GET-only route: Next.js says Method Not Allowed');
  const viaBearer = await raw(d, { method: 'POST', path: '/api/status', headers: { Authorization: `Bearer ${d.token}`, 'Content-Type': 'application/json' }, body: '{}' });
  assert.equal(viaBearer.status, 405, 'a bearer token needs no Origin: browsers never add one by themselves');
});

test('logout needs the same origin and ends the session', async () => {
  const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
  const sessionRes = await raw(d, { method: 'POST', path: '/login', headers: { ...form, Origin: origin }, body: `token=${encodeURIComponent(d.token)}` });
  const c = String(sessionRes.headers['set-cookie']).split(';')[0];
  assert.equal((await raw(d, { path: '/', headers: { Cookie: c } })).status, 200);
  assert.equal((await raw(d, { method: 'POST', path: '/logout', headers: { Cookie: c, Origin: 'http://evil.example' } })).status, 403);
  assert.equal((await raw(d, { path: '/', headers: { Cookie: c } })).status, 200, 'a refused logout leaves the session alone');
  const out = await raw(d, { method: 'POST', path: '/logout', headers: { Cookie: c, Origin: origin } });
  assert.equal(out.status, 303);
  assert.equal((await raw(d, { path: '/', headers: { Cookie: c } })).status, 401, 'the logged-out cookie no longer works');
});
