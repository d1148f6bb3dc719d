import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, copyFileSync, readdirSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { latestSchemaVersion, loadMigrations, migrate, openDb, schemaVersion, DbOpenError } from '../../db/open';

test('every migration applies in order and sets user_version', () => {
  const dir = mkdtempSync(join(tmpdir(), 'appnet-mig-'));
  try {
    const db = openDb(join(dir, 'a.db'), { migrate: true });
    assert.equal(schemaVersion(db), latestSchemaVersion());
    const versions = loadMigrations().map((m) => m.version);
    assert.deepEqual(versions, [...versions].sort((a, b) => a - b));
    assert.equal(new Set(versions).size, versions.length, 'no two migrations share a number');
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failing migration leaves the database at the last good version, and resumes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'appnet-mig-'));
  try {
    const migs = join(dir, 'migrations');
    mkdirSync(migs);
    for (const f of readdirSync(join(import.meta.dirname, '..', '..', 'db', 'migrations'))) copyFileSync(join(import.meta.dirname, '..', '..', 'db', 'migrations', f), join(migs, f));
    const broken = join(migs, '900-broken.sql');
    writeFileSync(broken, 'CREATE TABLE t900 (x); INSERT INTO no_such_table VALUES (1);');
    const db = openDb(join(dir, 'b.db'));
    assert.throws(() => migrate(db, migs), /migration 900-broken failed/);
    const good = latestSchemaVersion();
    assert.equal(schemaVersion(db), good);
    assert.equal((db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 't900'").get() as { n: number }).n, 0, 'the failed step left nothing behind');
    writeFileSync(broken, 'CREATE TABLE t900 (x);');
    assert.equal(migrate(db, migs), 900);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupt database file gives a clear error instead of a crash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'appnet-mig-'));
  try {
    const p = join(dir, 'c.db');
    writeFileSync(p, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4096, 0xff)]));
    assert.throws(() => openDb(p, { migrate: true }), (e: unknown) => e instanceof DbOpenError && /cannot open the appnet database .*c\.db/.test(e.message));
    assert.throws(() => openDb(p, { readonly: true }), (e: unknown) => e instanceof DbOpenError && /cannot open the appnet database .*c\.db/.test(e.message), 'a reader (the dashboard) gets the same clear error');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
