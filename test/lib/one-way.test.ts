/**
 * One way to do each thing: the bearer-token check and the CAP_NET_ADMIN check each exist
 * once (lib/security), and every listener and command uses that one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bearerMatches, tokenMatches } from '../../lib/security/bearer';

const ROOT = resolve(import.meta.dirname, '..', '..');

function shipped(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const p = join(dir, name);
    return statSync(join(ROOT, p)).isDirectory() ? shipped(p) : /\.(ts|tsx|mjs)$/.test(name) ? [p] : [];
  });
}

const SHIPPED = ['bin', 'collector', 'server', 'app', 'lib', 'db', 'components'].flatMap(shipped);
const filesMatching = (re: RegExp) => SHIPPED.filter((f) => re.test(readFileSync(join(ROOT, f), 'utf8')));

test('tokenMatches: equal only when equal, whatever the lengths', () => {
  const t = 'k3y-for-the-scraper-0123456789abcdef';
  assert.equal(tokenMatches(t, t), true);
  assert.equal(tokenMatches(`${t}x`, t), false);
  assert.equal(tokenMatches(t.slice(0, -1), t), false);
  assert.equal(tokenMatches('', t), false);
  assert.equal(tokenMatches(t.replace('k', 'K'), t), false);
  assert.equal(tokenMatches(`${t.slice(0, -1)}\0`, `${t.slice(0, -1)}\0`), true);
});

test('bearerMatches reads `Authorization: Bearer <token>` and nothing else', () => {
  const t = 'abcdefghijklmnop0123';
  assert.equal(bearerMatches(`Bearer ${t}`, t), true);
  assert.equal(bearerMatches(`bearer  ${t}`, t), true);
  assert.equal(bearerMatches(`Basic ${t}`, t), false);
  assert.equal(bearerMatches(t, t), false);
  assert.equal(bearerMatches(undefined, t), false);
});

test('one bearer check: both listeners use lib/security/bearer.ts; nobody else parses the header or compares in constant time', () => {
  assert.deepEqual(filesMatching(/lib\/security\/bearer'/).sort(), ['collector/commands/metrics.ts', 'collector/metrics.ts', 'server/tokens.ts']);
  assert.deepEqual(filesMatching(/\/\^Bearer/), ['lib/security/cookies.ts']);
  // server/tokens.ts compares its signed cookies and login codes (HMACs), not tokens.
  assert.deepEqual(filesMatching(/timingSafeEqual\(/), ['server/tokens.ts']);
});

test('one CAP_NET_ADMIN check: only lib/security/caps.ts reads the Cap* lines of /proc/<pid>/status', () => {
  assert.deepEqual(filesMatching(/CapEff|1n << 12n/).filter((f) => f !== 'lib/security/caps.ts'), []);
});
