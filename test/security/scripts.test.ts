/**
 * Shell scripts that run as root take no fixed path in a world-writable directory (#17.8):
 * another local user could hold such a lock forever or plant it as a link to a file of
 * root's. Every `flock` in scripts/ locks a path inside the project directory.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers';

test('every flock in scripts/ locks a relative path inside the project, never one under /tmp or /var/tmp', () => {
  const locks: string[] = [];
  for (const name of readdirSync(join(ROOT, 'scripts')).filter((n) => n.endsWith('.sh'))) {
    for (const m of readFileSync(join(ROOT, 'scripts', name), 'utf8').matchAll(/^\s*[^#\n]*\bflock\s+(?:-\S+\s+)*(\S+)/gm)) locks.push(`${name}: ${m[1]}`);
  }
  assert.ok(locks.length > 0, 'ensure-deps.sh locks its build');
  for (const l of locks) {
    const path = l.split(': ')[1];
    assert.ok(!path.startsWith('/') && !path.startsWith('$') && !path.includes('..'), `${l} must be a path inside the project directory`);
  }
});
