/**
 * The unprivileged account the dashboard runs as, and the store laid out for it: the web
 * account's group may read the store and look it up, never write it or change the
 * directory's entries (docs/security.md). Dashboard writes go through the collector's
 * control socket (collector/channel/).
 */
import { execFile } from 'node:child_process';
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, lchownSync, lstatSync, mkdirSync, openSync, readFileSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { controlSocketPath } from '../lib/channel';
import { openOwnFile, safeDirectory, STORE_DIR_MODE, STORE_FILE_MODE, UnsafeStoreError } from '../db/store-file';

export const WEB_USER = 'appnet';

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((res, rej) => execFile(cmd, args, { timeout: 15_000 }, (err, _o, stderr) => (err ? rej(new Error(`${cmd}: ${stderr.trim() || err.message}`)) : res())));
}

function passwdEntry(name: string): { uid: number; gid: number } | null {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return null;
}

/**
 * ensureWebUser makes the unprivileged account the dashboard runs as. Its group may read
 * the store; it gets no capabilities and no shell.
 */
export async function ensureWebUser(): Promise<{ uid: number; gid: number }> {
  const existing = passwdEntry(WEB_USER);
  if (existing) return existing;
  await run('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', WEB_USER]);
  const made = passwdEntry(WEB_USER);
  if (!made) throw new Error(`could not create the ${WEB_USER} account for the dashboard`);
  return made;
}

const euid = (): number => process.geteuid?.() ?? 0;

/**
 * prepareStoreDir gives the store directory its layout: owned by root, group `gid`, mode
 * 0750. Created when missing; an existing one (say root:appnet 2770 from an older appnet)
 * is changed through its descriptor (O_DIRECTORY|O_NOFOLLOW), never by name.
 */
export function prepareStoreDir(dir: string, gid: number): void {
  const parent = safeDirectory(dirname(dir), { create: true, store: dir });
  const path = join(parent, basename(dir));
  if (!lstatOrNull(path)) mkdirSync(path, { mode: STORE_DIR_MODE });
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (err) {
    throw new UnsafeStoreError(dir, `${path} is not a directory (${(err as NodeJS.ErrnoException).code})`);
  }
  try {
    const st = fstatSync(fd);
    if (st.uid !== euid()) throw new UnsafeStoreError(dir, `${path} belongs to uid ${st.uid}`);
    fchownSync(fd, euid(), gid);
    fchmodSync(fd, STORE_DIR_MODE);
  } finally {
    closeSync(fd);
  }
}

/**
 * shareStore lets group `gid` read (never write) the store and its -wal/-shm, creating the
 * store file when missing: each file is opened without following links, checked to be
 * root's own regular file, and changed through its descriptor. A control socket already
 * listening (lib/channel.ts) gets the group too, so that group may ask for writes.
 */
export function shareStore(dbPath: string, gid: number): void {
  const dir = safeDirectory(dirname(dbPath), { create: false, store: dbPath });
  const file = join(dir, basename(dbPath));
  for (const [f, create] of [[file, true], [`${file}-wal`, false], [`${file}-shm`, false]] as const) {
    const fd = openOwnFile(f, { create, store: dbPath });
    if (fd === null) continue;
    try {
      fchownSync(fd, euid(), gid);
      fchmodSync(fd, STORE_FILE_MODE);
    } finally {
      closeSync(fd);
    }
  }
  const sock = controlSocketPath(file);
  const st = lstatOrNull(sock);
  if (st?.isSocket() && st.uid === euid()) lchownSync(sock, euid(), gid);
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}
