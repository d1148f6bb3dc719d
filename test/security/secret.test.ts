/** The per-install secret file and the signed tokens derived from it. */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadOrCreateSecret } from '../../server/secret';
import { SessionAuthority } from '../../server/sessions';
import { deriveKeys, mintLoginCode, mintSession, verifySession } from '../../server/tokens';
import { allowedHosts } from '../../lib/security/host';
import { type Dashboard, login, raw, startDashboard } from './helpers';

const base = mkdtempSync(join(tmpdir(), 'appnet-secret-'));
after(() => rmSync(base, { recursive: true, force: true }));

test('the secret is created once with mode 600 and refused when others could read or replace it', () => {
  const dir = join(base, 'a');
  const first = loadOrCreateSecret({ dir });
  assert.equal(first.created, true);
  assert.equal(statSync(join(dir, 'web-secret')).mode & 0o777, 0o600);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  const again = loadOrCreateSecret({ dir });
  assert.equal(again.created, false);
  assert.equal(again.secret, first.secret);
  chmodSync(join(dir, 'web-secret'), 0o640);
  assert.throws(() => loadOrCreateSecret({ dir }), /mode 640; it must be readable only by its owner/);
  const open = join(base, 'b');
  mkdirSync(open, { mode: 0o777 });
  chmodSync(open, 0o777);
  assert.throws(() => loadOrCreateSecret({ dir: open }), /writable by others/);
  const linked = join(base, 'c');
  mkdirSync(linked, { mode: 0o700 });
  symlinkSync(join(dir, 'web-secret'), join(linked, 'web-secret'));
  assert.throws(() => loadOrCreateSecret({ dir: linked }), /not a regular file/);
  const weak = join(base, 'd');
  mkdirSync(weak, { mode: 0o700 });
  writeFileSync(join(weak, 'web-secret'), 'short\n', { mode: 0o600 });
  assert.throws(() => loadOrCreateSecret({ dir: weak }), /does not hold a valid secret/);
  assert.throws(() => loadOrCreateSecret({ dir, envToken: 'too-short' }), /APPNET_TOKEN must be 32 to 512/);
});

test('sessions and login codes are signed, expire, and cannot stand in for each other', () => {
  const keys = deriveKeys('k'.repeat(43));
  const other = deriveKeys('j'.repeat(43));
  const s = mintSession(keys, 1_800_000_000);
  assert.ok(verifySession(keys, s.value, 1_800_000_001));
  assert.equal(verifySession(other, s.value, 1_800_000_001), null, 'another install’s key');
  assert.equal(verifySession(keys, s.value, s.exp), null, 'expired');
  assert.equal(verifySession(keys, s.value.replace(/\.(\d+)\./, (_m, e: string) => `.${Number(e) + 1000}.`), 1_800_000_001), null, 'extended expiry');
  const code = mintLoginCode(keys, 1_800_000_000);
  assert.equal(verifySession(keys, code, 1_800_000_001), null, 'a login code is not a session');
  let now = 1_800_000_000;
  const auth = new SessionAuthority(keys, allowedHosts({ port: 1 }), 1, () => now);
  assert.ok(auth.redeemLoginCode(code));
  assert.equal(auth.redeemLoginCode(code), null, 'used once');
  now += 16 * 60;
  assert.equal(auth.redeemLoginCode(mintLoginCode(keys, 1_800_000_000)), null, 'expired after 15 minutes');
});

test('a cookie logged out just before a restart in the same second stays refused by the new server', () => {
  const keys = deriveKeys('k'.repeat(43));
  const hosts = allowedHosts({ port: 1 });
  let now = 1_799_999_990.5;
  const before = new SessionAuthority(keys, hosts, 1, () => now);
  now = 1_800_000_000.2;
  const s = before.loginWithToken('k'.repeat(43));
  assert.ok(s);
  const cookie = new Headers({ cookie: `${before.cookieName}=${s.value}` });
  assert.ok(before.sessionId(cookie));
  before.logout(cookie);
  assert.equal(before.sessionId(cookie), null, 'logged out');
  now = 1_800_000_000.7;
  const after = new SessionAuthority(keys, hosts, 1, () => now);
  assert.equal(after.sessionId(cookie), null, 'the old server\'s cookie, though minted in the second this one started');
  const fresh = after.loginWithToken('k'.repeat(43));
  assert.ok(fresh && after.sessionId(new Headers({ cookie: `${after.cookieName}=${fresh.value}` })), 'a session of this server works at once');
});

let d: Dashboard | undefined;
after(async () => d?.stop());

test('APPNET_TOKEN overrides the secret file: scripts use it as a bearer token and no file is created', async () => {
  const token = 'T'.repeat(20) + Math.random().toString(36).slice(2).padEnd(20, 'x');
  d = await startDashboard({ env: { APPNET_TOKEN: token } });
  assert.equal((await raw(d, { path: '/api/status', headers: { Authorization: `Bearer ${token}` } })).status, 200);
  assert.ok(await login(d));
  assert.throws(() => statSync(join(d!.dir, 'secret', 'web-secret')), /ENOENT/);
});
