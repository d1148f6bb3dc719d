/**
 * bin/appnet.mjs as users run it: the compiled command line (scripts/build-cli.mjs, built by
 * scripts/ensure-deps.sh and by test/run.sh), not the TypeScript sources through tsx.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cliBuildStale } from '../../scripts/cli-build-state.mjs';

const ROOT = resolve(import.meta.dirname, '..', '..');
const appnet = (args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'appnet.mjs'), ...args], { encoding: 'utf8', timeout: 60_000 });

test('the compiled command line is there and newer than its sources', () => {
  assert.equal(cliBuildStale(), null);
});

test('appnet --help and appnet serve --help run compiled: no tsx fallback, both sides listed', () => {
  const help = appnet(['--help']);
  assert.equal(help.status, 0, help.stderr);
  assert.equal(help.stderr, '', 'nothing on stderr (the tsx fallback announces itself there)');
  for (const c of ['collect', 'top', 'export', 'rules', 'run', 'metrics', 'install', 'uninstall']) assert.match(help.stdout, new RegExp(`^  ${c}\\b`, 'm'), c);
  const serve = appnet(['serve', '--help']);
  assert.equal(serve.status, 0, serve.stderr);
  assert.match(serve.stdout, /--db <path> +SQLite store \(default: "\/var\/lib\/appnet\/appnet\.db", env:\s+APPNET_DB\)/);
});

test('files found next to the sources still are: a new store is created and migrated from db/migrations', () => {
  const dir = mkdtempSync(join(tmpdir(), 'appnet-bin-'));
  try {
    const r = appnet(['rules', 'list', '--db', join(dir, 'new.db'), '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(Object.keys(JSON.parse(r.stdout) as object).sort(), ['apps', 'lastApply', 'precedence', 'rules']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
