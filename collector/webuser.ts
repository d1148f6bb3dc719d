/** The unprivileged account the dashboard runs as, and giving it the store. */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readFileSync } from 'node:fs';

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
 * ensureWebUser makes the unprivileged account the dashboard runs as. Its group may
 * read and write the store (the dashboard records rules and network settings); it gets
 * no capabilities and no shell.
 */
export async function ensureWebUser(): Promise<{ uid: number; gid: number }> {
  const existing = passwdEntry(WEB_USER);
  if (existing) return existing;
  await run('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', WEB_USER]);
  const made = passwdEntry(WEB_USER);
  if (!made) throw new Error(`could not create the ${WEB_USER} account for the dashboard`);
  return made;
}

/** shareStore lets the web account's group read and write the store and its WAL files. */
export function shareStore(dbPath: string, gid: number): void {
  for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) {
    if (!existsSync(f)) continue;
    chownSync(f, 0, gid);
    chmodSync(f, 0o660);
  }
}
