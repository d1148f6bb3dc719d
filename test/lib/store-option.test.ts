/** The store's path: one option, one default, one environment variable, read by commander alone. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { dbOption } from '../../lib/store-option';
import { DB_ENV, DEFAULT_DB } from '../../lib/store-path';

const ROOT = resolve(import.meta.dirname, '..', '..');

function parsed(args: string[], env: string | undefined): string {
  const saved = process.env[DB_ENV];
  if (env === undefined) delete process.env[DB_ENV];
  else process.env[DB_ENV] = env;
  try {
    const cmd = new Command().exitOverride().addOption(dbOption());
    cmd.parse(args, { from: 'user' });
    return cmd.opts<{ db: string }>().db;
  } finally {
    if (saved === undefined) delete process.env[DB_ENV];
    else process.env[DB_ENV] = saved;
  }
}

test('--db wins over $APPNET_DB, which wins over the default', () => {
  assert.equal(parsed([], undefined), DEFAULT_DB);
  assert.equal(parsed([], '/tmp/env.db'), '/tmp/env.db');
  assert.equal(parsed(['--db', '/tmp/flag.db'], '/tmp/env.db'), '/tmp/flag.db');
});

function shipped(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const p = join(dir, name);
    return statSync(join(ROOT, p)).isDirectory() ? shipped(p) : /\.(ts|tsx|mjs)$/.test(name) ? [p] : [];
  });
}

test('the default path and the variable are spelled out in lib/store-path.ts only; --db is always dbOption()', () => {
  const bad: string[] = [];
  for (const f of ['bin', 'collector', 'server', 'app', 'lib', 'db', 'components'].flatMap(shipped)) {
    if (f === 'lib/store-path.ts') continue;
    const src = readFileSync(join(ROOT, f), 'utf8');
    if (/\/var\/lib\/appnet\/appnet\.db|['"`]APPNET_DB['"`]|\.APPNET_DB\b/.test(src)) bad.push(`${f}: spells out the store's default or its variable`);
    // The demo's --db is its own throw-away store, never the real one.
    if (/option\(\s*'--db\b/.test(src) && f !== 'collector/commands/demo.ts') bad.push(`${f}: defines --db itself`);
  }
  assert.deepEqual(bad, []);
});
