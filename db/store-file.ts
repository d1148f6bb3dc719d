/**
 * The store's files, handled the way root must handle them: never through a path another
 * account could swap. Every directory on the way is checked (lstat, links followed by hand),
 * the file is opened with O_NOFOLLOW and checked to be the one lstat saw, and ownership and
 * mode change through that descriptor, never by name. The rules themselves are pure
 * (lib/security/paths.ts); docs/security.md says why.
 */
import { closeSync, constants, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync, readlinkSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { dirRefusal, fileRefusal, type PathFacts } from '../lib/security/paths';
import type { Db } from './open';

/** UnsafeStoreError: a store path another account could swap; nothing was opened, created or changed. */
export class UnsafeStoreError extends Error {
  constructor(path: string, reason: string) {
    super(`cannot open the appnet database ${path}: ${reason} (root uses only a store no other account can swap: keep it in a directory only root can write, as appnet start and appnet install lay it out, /var/lib/appnet root:appnet 0750)`);
    this.name = 'UnsafeStoreError';
  }
}

/** The files SQLite keeps next to a database. */
export const STORE_SIDECARS = ['-wal', '-shm', '-journal'] as const;

/** STORE_FILE_MODE: root writes, the web account's group reads, nobody else. */
export const STORE_FILE_MODE = 0o640;
/** STORE_DIR_MODE: only root changes entries; the web account's group may look up the store. */
export const STORE_DIR_MODE = 0o750;

const euid = (): number => process.geteuid?.() ?? 0;

function facts(st: Stats): PathFacts {
  const kind = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
  return { kind, uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, nlink: st.nlink };
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * safeDirectory walks dir from / with lstat, following symbolic links by hand, and refuses
 * at the first directory another account could change. With create, missing directories
 * are made (mode 0755, like /var/lib: the store directory itself limits who may look in).
 * Returns the directory's real path.
 */
export function safeDirectory(dir: string, opts: { create: boolean; store?: string }): string {
  const store = opts.store ?? dir;
  const pending = resolve(dir).split('/').filter(Boolean);
  let cur = '/';
  let hops = 0;
  const check = (path: string, st: Stats) => {
    const why = dirRefusal(path, facts(st), { euid: euid(), holdsFile: pending.length === 0 });
    if (why) throw new UnsafeStoreError(store, why);
  };
  check('/', lstatSync('/'));
  while (pending.length > 0) {
    const name = pending.shift() as string;
    if (name === '.') continue;
    if (name === '..') {
      cur = dirname(cur);
      continue;
    }
    const path = join(cur, name);
    let st = lstatOrNull(path);
    if (!st && opts.create) {
      mkdirSync(path, { mode: 0o755 });
      st = lstatSync(path);
    }
    if (!st) throw new UnsafeStoreError(store, `${path} does not exist`);
    if (st.isSymbolicLink()) {
      if (++hops > 40) throw new UnsafeStoreError(store, `too many symbolic links under ${path}`);
      const target = readlinkSync(path);
      pending.unshift(...target.split('/').filter(Boolean));
      if (target.startsWith('/')) cur = '/';
      continue;
    }
    check(path, st);
    cur = path;
  }
  return cur;
}

/**
 * openOwnFile opens a file root may change: lstat first, then O_NOFOLLOW, and the descriptor
 * must be the very file lstat saw. A missing file is created (O_EXCL, mode 0640) when create
 * is set, else null is returned. The caller closes the descriptor.
 */
export function openOwnFile(path: string, opts: { create: boolean; store?: string }): number | null {
  const store = opts.store ?? path;
  const flags = constants.O_RDWR | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  const before = lstatOrNull(path);
  if (!before) {
    if (!opts.create) return null;
    const fd = openSync(path, flags | constants.O_CREAT | constants.O_EXCL, STORE_FILE_MODE);
    fchmodSync(fd, STORE_FILE_MODE);
    return fd;
  }
  const why = fileRefusal(path, facts(before), { euid: euid() });
  if (why) throw new UnsafeStoreError(store, why);
  const fd = openSync(path, flags);
  const now = fstatSync(fd);
  if (now.ino !== before.ino || now.dev !== before.dev || !now.isFile() || now.nlink !== 1) {
    closeSync(fd);
    throw new UnsafeStoreError(store, `${path} changed while it was being opened`);
  }
  return fd;
}

/**
 * guardStore runs before any connection that may write (and before every connection of
 * root): it refuses a store another account could swap, and creates a missing store file
 * safely (0640, never through a link) so SQLite only ever opens a file checked here.
 */
export function guardStore(path: string, opts: { writable: boolean }): void {
  const dir = safeDirectory(dirname(path), { create: opts.writable, store: path });
  const file = join(dir, basename(path));
  const fd = openOwnFile(file, { create: opts.writable, store: path });
  if (fd === null) throw new UnsafeStoreError(path, `${file} does not exist`);
  closeSync(fd);
  for (const suffix of STORE_SIDECARS) {
    const side = lstatOrNull(`${file}${suffix}`);
    const why = side && fileRefusal(`${file}${suffix}`, facts(side), { euid: euid() });
    if (why) throw new UnsafeStoreError(path, why);
  }
}

/**
 * closeStore closes a writing connection so that accounts which cannot create files next
 * to the store can still read it: unless a reader holds the store open (its -wal and -shm
 * then stay, which is all a reader needs), the journal goes back to DELETE mode, which a
 * read-only connection reads without -wal and -shm. The next writer switches back to WAL.
 */
export function closeStore(db: Db): void {
  if (db.open && !db.readonly) {
    try {
      db.pragma('busy_timeout = 0');
      db.pragma('journal_mode = DELETE');
    } catch {
      /* SQLITE_BUSY: a reader has it open, and SQLite keeps the -wal for it */
    }
  }
  db.close();
}
