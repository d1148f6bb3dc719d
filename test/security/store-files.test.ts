/**
 * Root never opens, creates, chowns or chmods a store path another account could swap:
 * each case is set up for real on disk (links, hard links, foreign owners, writable
 * directories) with a root-only canary behind it, and every way root reaches the store
 * (openDb, the install/start layout steps) must refuse and leave the canary as it was.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { openDb } from '../../db/open';
import { closeStore, guardStore, UnsafeStoreError } from '../../db/store-file';
import { prepareStoreDir, shareStore } from '../../collector/webuser';
import { tempDir } from '../privileged/helpers';

const IS_ROOT = process.getuid?.() === 0;
const OTHER = 65534;
let tmp: ReturnType<typeof tempDir>;
let store: string;
let db: string;
let canary: string;

function canaryUntouched(): void {
  const st = lstatSync(canary);
  assert.deepEqual([st.uid, st.gid, st.mode & 0o7777, readFileSync(canary, 'utf8')], [process.getuid?.(), process.getgid?.(), 0o600, 'root only\n'], 'the canary is unchanged');
}

/** Every root-side way into the store: open to write, open to read, the layout steps of start and install. */
function everyRootPath(): Array<[string, () => void]> {
  return [
    ['openDb to write', () => openDb(db, { migrate: true }).close()],
    ['openDb to read', () => openDb(db, { readonly: true }).close()],
    ['shareStore', () => shareStore(db, OTHER)],
    ['prepareStoreDir + shareStore', () => (prepareStoreDir(store, OTHER), shareStore(db, OTHER))],
  ];
}

function assertAllRefuse(why: RegExp): void {
  for (const [name, run] of everyRootPath()) {
    assert.throws(run, (err: unknown) => err instanceof UnsafeStoreError && why.test(err.message), name);
    canaryUntouched();
  }
}

beforeEach(() => {
  tmp = tempDir();
  store = join(tmp.dir, 'store');
  mkdirSync(store, { mode: 0o750 });
  db = join(store, 'appnet.db');
  canary = join(tmp.dir, 'canary');
  writeFileSync(canary, 'root only\n', { mode: 0o600 });
});
afterEach(() => tmp.remove());

test('a store that is a symbolic link (even a dangling one) is refused, never followed', () => {
  symlinkSync(canary, db);
  assertAllRefuse(/appnet\.db is a symbolic link/);
  const dangling = join(tmp.dir, 'would-be-created');
  symlinkSync(dangling, `${db}2`);
  assert.throws(() => openDb(`${db}2`, { migrate: true }), /is a symbolic link/);
  assert.equal(existsSync(dangling), false, 'nothing was created at the link target');
});

test('a -wal, -shm or -journal planted as a link next to the store is refused', () => {
  closeStore(openDb(db, { migrate: true }));
  for (const side of ['-wal', '-shm', '-journal']) {
    symlinkSync(canary, `${db}${side}`);
    assert.throws(() => openDb(db), new RegExp(`appnet\\.db${side} is a symbolic link`), side);
    if (side !== '-journal') assert.throws(() => shareStore(db, OTHER), /is a symbolic link/, side);
    canaryUntouched();
    unlinkSync(`${db}${side}`);
  }
});

test('a hard link to another file, or a store owned by another account, is refused', { skip: !IS_ROOT && 'needs root (chown)' }, () => {
  linkSync(canary, db);
  assertAllRefuse(/has 2 names/);
  unlinkSync(db);
  writeFileSync(db, '');
  chownSync(db, OTHER, OTHER);
  assertAllRefuse(/belongs to uid 65534/);
});

test('a store in a directory another account may write is refused: group-writable (the old 2770 layout), world-writable, or theirs', { skip: !IS_ROOT && 'needs root (chown)' }, () => {
  closeStore(openDb(db, { migrate: true }));
  chownSync(store, 0, OTHER);
  for (const mode of [0o2770, 0o1777, 0o777]) {
    chmodSync(store, mode);
    assert.throws(() => openDb(db), /is writable by/, mode.toString(8));
    assert.throws(() => guardStore(db, { writable: false }), /is writable by/);
  }
  chownSync(store, OTHER, OTHER);
  chmodSync(store, 0o755);
  assert.throws(() => openDb(db), /belongs to uid 65534/);
  // A parent that is theirs is as bad: they could rename the store directory away.
  chownSync(store, 0, 0);
  chownSync(tmp.dir, OTHER, OTHER);
  assert.throws(() => openDb(db), new RegExp(`${tmp.dir} belongs to uid 65534`));
  chownSync(tmp.dir, 0, 0);
});

test('the layout steps fix an old root:group 2770 directory through its descriptor, then share the files read-only', { skip: !IS_ROOT && 'needs root (chown)' }, () => {
  closeStore(openDb(db, { migrate: true }));
  chownSync(store, 0, OTHER);
  chmodSync(store, 0o2770);
  prepareStoreDir(store, OTHER);
  shareStore(db, OTHER);
  const dir = lstatSync(store);
  assert.deepEqual([dir.uid, dir.gid, dir.mode & 0o7777], [0, OTHER, 0o750]);
  const file = lstatSync(db);
  assert.deepEqual([file.uid, file.gid, file.mode & 0o7777], [0, OTHER, 0o640]);
  openDb(db).close();
});

test('a missing store is created by root as a fresh 0640 file (O_EXCL), and a link to a directory is not a store directory', () => {
  closeStore(openDb(db, { migrate: true }));
  assert.equal(lstatSync(db).mode & 0o777, 0o640);
  const linked = join(tmp.dir, 'linked');
  symlinkSync(canary, linked);
  assert.throws(() => prepareStoreDir(linked, OTHER), /is not a directory/);
  canaryUntouched();
});

test('a link on the way to the store is followed only through directories nobody else can change', { skip: !IS_ROOT && 'needs root (chown)' }, () => {
  const real = join(tmp.dir, 'real');
  mkdirSync(real, { mode: 0o755 });
  symlinkSync(real, join(tmp.dir, 'via'));
  closeStore(openDb(join(tmp.dir, 'via', 'appnet.db'), { migrate: true }));
  assert.ok(lstatSync(join(real, 'appnet.db')).isFile());
  chownSync(real, OTHER, OTHER);
  assert.throws(() => openDb(join(tmp.dir, 'via', 'appnet.db')), /belongs to uid 65534/);
});
