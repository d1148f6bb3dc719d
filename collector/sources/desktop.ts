/**
 * Human names and icons of desktop apps from their .desktop files (freedesktop desktop
 * entry spec): the system's and each user's applications directories, flatpak's and
 * snapd's exports. Files are read on first use per app id and re-read when a directory
 * changes (mtime), so installing an app while the collector runs is picked up.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { desktopIdsFor, parseDesktopEntry, type AppIdentity, type DesktopEntry } from '../../lib/identity';

/** SYSTEM_APP_DIRS are searched for every user, after the user's own directories. */
export const SYSTEM_APP_DIRS = [
  '/usr/local/share/applications',
  '/usr/share/applications',
  '/var/lib/flatpak/exports/share/applications',
  '/var/lib/snapd/desktop/applications',
];

/** USER_APP_DIRS are relative to a user's home directory. */
export const USER_APP_DIRS = ['.local/share/applications', '.local/share/flatpak/exports/share/applications'];

export interface DesktopIndexOptions {
  systemDirs?: string[];
  /** Home directory of a uid (default: from /etc/passwd). */
  homeOf?: (uid: number) => string | null;
  passwdFile?: string;
}

/** uidOfCgroup reads the uid from a path below user.slice/user-<uid>.slice. */
export function uidOfCgroup(path: string): number | null {
  const m = /(?:^|\/)user-(\d+)\.slice(?:\/|$)/.exec(path);
  return m ? Number(m[1]) : null;
}

/** passwdHomes returns a lookup of home directories by uid, reading the passwd file on first use. */
export function passwdHomes(file: string): (uid: number) => string | null {
  let homes: Map<number, string> | null = null;
  return (uid) => {
    if (!homes) {
      homes = new Map();
      try {
        for (const line of readFileSync(file, 'utf8').split('\n')) {
          const f = line.split(':');
          if (f.length >= 7 && /^\d+$/.test(f[2])) homes.set(Number(f[2]), f[5]);
        }
      } catch {
        /* no passwd: user directories are skipped */
      }
    }
    return homes.get(uid) ?? null;
  };
}

function mtimeOf(dir: string): number {
  try {
    return statSync(dir).mtimeMs;
  } catch {
    return -1;
  }
}

/** DesktopIndex finds the .desktop entry of an app identity. */
export class DesktopIndex {
  private readonly systemDirs: string[];
  private readonly homeOf: (uid: number) => string | null;
  private readonly cache = new Map<string, { entry: DesktopEntry | null; stamp: string }>();

  constructor(opts: DesktopIndexOptions = {}) {
    this.systemDirs = opts.systemDirs ?? SYSTEM_APP_DIRS;
    this.homeOf = opts.homeOf ?? passwdHomes(opts.passwdFile ?? '/etc/passwd');
  }

  private dirsFor(uid: number | null): string[] {
    const home = uid === null ? null : this.homeOf(uid);
    return [...(home ? USER_APP_DIRS.map((d) => join(home, d)) : []), ...this.systemDirs];
  }

  /** lookup returns the desktop entry of an app (user directories first), or null. */
  lookup(ident: AppIdentity, uid: number | null = null): DesktopEntry | null {
    const ids = desktopIdsFor(ident);
    if (ids.length === 0) return null;
    const dirs = this.dirsFor(uid);
    const stamp = dirs.map(mtimeOf).join(',');
    const key = `${uid ?? ''}|${ident.key}|${ident.launcher ?? ''}`;
    const hit = this.cache.get(key);
    if (hit && hit.stamp === stamp) return hit.entry;
    let entry: DesktopEntry | null = null;
    search: for (const id of ids) {
      for (const dir of dirs) {
        let text: string;
        try {
          text = readFileSync(join(dir, `${id}.desktop`), 'utf8');
        } catch {
          continue;
        }
        entry = parseDesktopEntry(id, text);
        if (entry) break search;
      }
    }
    this.cache.set(key, { entry, stamp });
    return entry;
  }
}

let shared: DesktopIndex | null = null;

/**
 * desktopIdentity returns the identity with the human name and icon of the app's .desktop file
 * when there is one (Spotify instead of com.spotify.Client); otherwise unchanged.
 */
export function desktopIdentity(ident: AppIdentity, cgroupPath: string, index: DesktopIndex = (shared ??= new DesktopIndex())): AppIdentity {
  const entry = index.lookup(ident, uidOfCgroup(cgroupPath));
  return entry ? { ...ident, name: entry.name, icon: entry.icon } : ident;
}
