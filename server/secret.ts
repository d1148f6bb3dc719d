/**
 * The per-install secret: created on first start with O_EXCL and mode 0600, refused when
 * anyone but its owner could read or replace it (as ssh does with private keys).
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { newSecret } from './tokens';

export const SECRET_FILE = 'web-secret';
const TOKEN_RE = /^[A-Za-z0-9._~+/=-]{32,512}$/;

export interface LoadedSecret {
  secret: string;
  source: 'env' | 'file';
  /** The file it lives in (absent when it came from APPNET_TOKEN). */
  path?: string;
  created: boolean;
}

/** validateToken checks an APPNET_TOKEN value: 32–512 characters a header can carry. */
export function validateToken(token: string): string {
  if (!TOKEN_RE.test(token)) throw new Error('APPNET_TOKEN must be 32 to 512 characters from A-Z a-z 0-9 . _ ~ + / = -');
  return token;
}

function checkFile(path: string): void {
  const st = lstatSync(path);
  const uid = process.geteuid?.() ?? 0;
  if (!st.isFile()) throw new Error(`${path} is not a regular file; refusing to use it as the secret`);
  if (st.uid !== uid) throw new Error(`${path} belongs to uid ${st.uid}, not to this user (uid ${uid}); refusing to use it`);
  if (st.mode & 0o077) throw new Error(`${path} has mode ${(st.mode & 0o777).toString(8)}; it must be readable only by its owner (chmod 600 ${path})`);
}

/** The directory may be listable, but nobody else may replace files in it. */
function checkDir(path: string): void {
  const st = lstatSync(path);
  const uid = process.geteuid?.() ?? 0;
  if (!st.isDirectory()) throw new Error(`${path} is not a directory`);
  if (st.uid !== uid && st.uid !== 0) throw new Error(`${path} belongs to uid ${st.uid}; the secret directory must belong to this user or root`);
  if (st.mode & 0o022) throw new Error(`${path} is writable by others (mode ${(st.mode & 0o777).toString(8)}); chmod go-w ${path} or choose another --secret-dir`);
}

/**
 * loadOrCreateSecret returns APPNET_TOKEN when given, else the secret in <dir>/web-secret,
 * creating dir (0700) and file (0600) on first start.
 */
export function loadOrCreateSecret(opts: { dir: string; envToken?: string }): LoadedSecret {
  if (opts.envToken !== undefined && opts.envToken !== '') return { secret: validateToken(opts.envToken), source: 'env', created: false };
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  checkDir(opts.dir);
  const path = join(opts.dir, SECRET_FILE);
  let created = false;
  try {
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      if ((fstatSync(fd).mode & 0o077) !== 0) throw new Error(`could not create ${path} with mode 600`);
      writeSync(fd, `${newSecret()}\n`);
    } finally {
      closeSync(fd);
    }
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create the secret file ${path}: ${(err as Error).message}`);
  }
  checkFile(path);
  const secret = readFileSync(path, 'utf8').trim();
  if (!TOKEN_RE.test(secret)) throw new Error(`${path} does not hold a valid secret; delete it to create a new one`);
  return { secret, source: 'file', path, created };
}

/** secretExists says whether a secret file is present in dir (used by `appnet login-url`). */
export function secretExists(dir: string): boolean {
  try {
    return statSync(join(dir, SECRET_FILE)).isFile();
  } catch {
    return false;
  }
}
