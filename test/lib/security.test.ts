import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackBind } from '../../lib/security/bind';
import { CAP_NET_ADMIN, hasCapability, parseProcStatusCaps, usableCapabilities } from '../../lib/security/caps';
import { bearerToken, parseCookies } from '../../lib/security/cookies';
import { decide, type AuthGate } from '../../lib/security/gate';
import { allowedHosts, isAllowedHost, normalizeAllowedName } from '../../lib/security/host';
import { bodyTypeRefusal, csrfRefusal } from '../../lib/security/origin';
import { chooseWebUser, parsePasswd } from '../../lib/security/passwd';

test('the Host allowlist takes loopback names with the exact port plus names added explicitly', () => {
  const allowed = allowedHosts({ port: 7171, extraNames: ['Box.lan', '192.168.1.9', 'fd00::9'] });
  for (const h of ['localhost:7171', '127.0.0.1:7171', '[::1]:7171', 'LOCALHOST:7171', 'box.lan:7171', '192.168.1.9:7171', '[fd00::9]:7171']) assert.ok(isAllowedHost(h, allowed), h);
  for (const h of ['localhost', 'localhost:7172', 'localhost.:7171', 'evil.example:7171', 'localhost.evil.com:7171', '127.0.0.1:7171 ', 'a@localhost:7171', '', null, undefined, '[::1]', '::1:7171']) {
    assert.ok(!isAllowedHost(h, allowed), String(h));
  }
  assert.throws(() => normalizeAllowedName('http://x'), /not a host name/);
  assert.throws(() => normalizeAllowedName('x:80'), /not a host name/);
  assert.throws(() => normalizeAllowedName('a b'), /not a host name/);
});

test('CSRF: unsafe methods need an Origin equal to http://<Host>; missing, null and foreign ones are refused', () => {
  const host = '127.0.0.1:7171';
  assert.equal(csrfRefusal({ method: 'GET', host, origin: null }), null);
  assert.equal(csrfRefusal({ method: 'POST', host, origin: 'http://127.0.0.1:7171', secFetchSite: 'same-origin' }), null);
  assert.equal(csrfRefusal({ method: 'POST', host, origin: 'http://127.0.0.1:7171' }), null);
  assert.equal(csrfRefusal({ method: 'POST', host, origin: null }), 'missing Origin');
  assert.equal(csrfRefusal({ method: 'DELETE', host, origin: 'null' }), 'opaque Origin');
  assert.equal(csrfRefusal({ method: 'PUT', host, origin: 'http://localhost:7171' }), 'cross-origin request');
  assert.equal(csrfRefusal({ method: 'POST', host, origin: 'http://127.0.0.1:7171', secFetchSite: 'same-site' }), 'cross-site request');
  assert.equal(bodyTypeRefusal('POST', 'application/json; charset=utf-8', true), null);
  assert.equal(bodyTypeRefusal('POST', 'text/plain', false), null);
  assert.notEqual(bodyTypeRefusal('POST', 'text/plain', true), null);
  assert.notEqual(bodyTypeRefusal('PATCH', undefined, true), null);
});

test('decide: no gate registered means 401 for everyone; Host before credentials before CSRF', () => {
  const headers = (h: Record<string, string>) => ({ get: (n: string) => h[n] ?? null });
  assert.deepEqual(decide(null, 'GET', headers({ host: '127.0.0.1:1' })), { ok: false, status: 401, reason: 'no authentication configured' });
  const gate: AuthGate = { allowedHosts: allowedHosts({ port: 1 }), authenticate: (h) => (h.get('cookie') ? 'session' : h.get('authorization') ? 'bearer' : null) };
  assert.equal(decide(gate, 'GET', headers({ host: 'evil:1', cookie: 'x' })).ok, false);
  assert.deepEqual(decide(gate, 'GET', headers({ host: '127.0.0.1:1' })), { ok: false, status: 401, reason: 'not authenticated' });
  assert.deepEqual(decide(gate, 'POST', headers({ host: '127.0.0.1:1', cookie: 'x' })), { ok: false, status: 403, reason: 'missing Origin' });
  assert.deepEqual(decide(gate, 'POST', headers({ host: '127.0.0.1:1', authorization: 'y' })), { ok: true, via: 'bearer' });
});

test('only loopback listen addresses count as loopback (parsed, not pattern-matched)', () => {
  for (const h of ['127.0.0.1', '127.255.0.1', '::1', '[::1]', '::ffff:127.0.0.1', 'localhost']) assert.ok(isLoopbackBind(h), h);
  for (const h of ['0.0.0.0', '::', '10.0.0.1', '127.0.0.1.nip.io', '0177.0.0.1x', 'fe80::1', '::ffff:10.0.0.1', '']) assert.ok(!isLoopbackBind(h), h);
});

test('capabilities and users are read from /proc and /etc/passwd text', () => {
  const caps = parseProcStatusCaps('CapInh:\t0000000000000000\nCapPrm:\t0000000000001000\nCapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n');
  assert.ok(hasCapability(usableCapabilities(caps), CAP_NET_ADMIN), 'a permitted but not effective CAP_NET_ADMIN still counts');
  const users = parsePasswd('root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n# c\nbad line\n');
  assert.equal(chooseWebUser(users).name, 'nobody');
  assert.throws(() => chooseWebUser(users, 'root'), /uid or gid 0/);
  assert.throws(() => chooseWebUser(users, 'appnet'), /useradd --system/);
  assert.equal(chooseWebUser([...users, { name: 'appnet', uid: 990, gid: 990, home: '/' }]).name, 'appnet');
});

test('cookies and bearer tokens are parsed strictly', () => {
  assert.deepEqual([...parseCookies('a=1; b=2; a=3; =x; c')], [['a', '1'], ['b', '2']]);
  assert.equal(bearerToken('Bearer abc.DEF_-'), 'abc.DEF_-');
  assert.equal(bearerToken('bearer  abc'), 'abc');
  assert.equal(bearerToken('Basic abc'), null);
  assert.equal(bearerToken('Bearer a b'), null);
});
