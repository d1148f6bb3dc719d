/**
 * The demo dashboard's account without a host account: a passwd and group of the demo's own
 * (the host's entries plus `appnet` on an unused id), bound over /etc in the dashboard's private
 * mount namespace (private-etc.mjs), and its secret in a root-only directory beside the demo's
 * store instead of /etc/appnet.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WEB_USER } from '../webuser';

export const PRIVATE_ETC = join(dirname(fileURLToPath(import.meta.url)), 'private-etc.mjs');

export interface DemoAccount {
  uid: number;
  gid: number;
  passwd: string;
  group: string;
  secretDir: string;
}

/** freeId returns the first id from `from` up that no passwd or group line uses. */
export function freeId(passwd: string, group: string, from = 900): number {
  const used = new Set<number>();
  for (const line of [...passwd.split('\n'), ...group.split('\n')]) {
    const f = line.split(':');
    if (f.length >= 3 && /^\d+$/.test(f[2])) used.add(Number(f[2]));
    if (f.length >= 4 && /^\d+$/.test(f[3])) used.add(Number(f[3]));
  }
  let id = from;
  while (used.has(id)) id++;
  return id;
}

/** demoEtc writes the demo's passwd and group (the host's, without any appnet entry, plus the demo's). */
export function demoEtc(hostPasswd: string, hostGroup: string): { passwd: string; group: string; id: number } {
  const mine = (line: string) => line.startsWith(`${WEB_USER}:`);
  const p = hostPasswd.split('\n').filter((l) => l && !mine(l));
  const g = hostGroup.split('\n').filter((l) => l && !mine(l));
  const id = freeId(p.join('\n'), g.join('\n'));
  return {
    passwd: [...p, `${WEB_USER}:x:${id}:${id}:appnet demo dashboard:/nonexistent:/usr/sbin/nologin`].join('\n') + '\n',
    group: [...g, `${WEB_USER}:x:${id}:`].join('\n') + '\n',
    id,
  };
}

/** prepareDemoAccount writes the demo's /etc files and secret directory under `dir` (root-only). */
export function prepareDemoAccount(dir: string): DemoAccount {
  const etc = join(dir, 'etc');
  const secretDir = join(dir, 'secret');
  mkdirSync(etc, { recursive: true, mode: 0o755 });
  mkdirSync(secretDir, { recursive: true, mode: 0o700 });
  const e = demoEtc(readFileSync('/etc/passwd', 'utf8'), readFileSync('/etc/group', 'utf8'));
  const passwd = join(etc, 'passwd');
  const group = join(etc, 'group');
  writeFileSync(passwd, e.passwd, { mode: 0o644 });
  writeFileSync(group, e.group, { mode: 0o644 });
  return { uid: e.id, gid: e.id, passwd, group, secretDir };
}
