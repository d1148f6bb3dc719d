/**
 * Which files root may open, create, chown or chmod (docs/security.md, "The store"): none
 * that another account could swap. A directory is safe when only root (or the acting
 * user) can change its entries; a file is safe when it is a regular file of the acting
 * user with no other name. The I/O side is db/store-file.ts.
 */

/** The few facts of an lstat() the decisions need. */
export interface PathFacts {
  kind: 'file' | 'dir' | 'symlink' | 'other';
  uid: number;
  gid: number;
  /** st_mode & 0o7777. */
  mode: number;
  nlink: number;
}

const STICKY = 0o1000;

const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

/**
 * dirRefusal says why root must not trust a directory on the way to a file, or null. An
 * ancestor may be world-writable when it is sticky (/tmp): others cannot rename what is ours.
 * The file's own directory (`holdsFile`) must be writable by its owner only: in a sticky
 * directory others could still plant the names SQLite creates next to the store (-wal, -shm).
 */
export function dirRefusal(path: string, f: PathFacts, opts: { euid: number; holdsFile: boolean }): string | null {
  if (f.kind !== 'dir') return `${path} is not a directory`;
  if (f.uid !== 0 && f.uid !== opts.euid) return `${path} belongs to uid ${f.uid}, who could replace what is in it`;
  const othersWrite = (f.mode & 0o022) !== 0;
  if (!othersWrite) return null;
  if (!opts.holdsFile && (f.mode & STICKY) !== 0) return null;
  const who = f.mode & 0o002 ? 'every account' : `group ${f.gid}`;
  return `${path} (mode ${octal(f.mode)}) is writable by ${who}, which could replace files in it`;
}

/** fileRefusal says why root must not open a file it means to write, or null: only its own regular files with one name. */
export function fileRefusal(path: string, f: PathFacts, opts: { euid: number }): string | null {
  if (f.kind === 'symlink') return `${path} is a symbolic link`;
  if (f.kind !== 'file') return `${path} is not a regular file`;
  if (f.uid !== opts.euid) return `${path} belongs to uid ${f.uid}, not to uid ${opts.euid}`;
  if (f.nlink !== 1) return `${path} has ${f.nlink} names (a hard link could point it at another file)`;
  return null;
}
