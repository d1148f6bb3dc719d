/**
 * Privilege separation: only the collector holds CAP_NET_ADMIN. Started as root, the web
 * server becomes an unprivileged account before it opens its port; in every case it
 * refuses to serve while it still holds any capability that could touch the network.
 */
import { readFileSync } from 'node:fs';
import { CAP_NET_ADMIN, hasCapability, parseProcStatusCaps, usableCapabilities } from '../lib/security/caps';
import { chooseWebUser, type PasswdEntry, parsePasswd } from '../lib/security/passwd';

export interface Dropped {
  user: string;
  uid: number;
  gid: number;
}

/** dropPrivileges switches a root process to the web account (supplementary groups, gid, uid, in that order). */
export function dropPrivileges(opts: { user?: string; passwdFile?: string } = {}): Dropped | null {
  if (process.getuid?.() !== 0 && process.geteuid?.() !== 0) return null;
  const entry: PasswdEntry = chooseWebUser(parsePasswd(readFileSync(opts.passwdFile ?? '/etc/passwd', 'utf8')), opts.user);
  process.setgroups?.([entry.gid]);
  process.setgid?.(entry.gid);
  process.setuid?.(entry.uid);
  if (process.getuid?.() === 0 || process.geteuid?.() === 0 || process.getegid?.() === 0) {
    throw new Error(`could not drop root privileges to ${entry.name}`);
  }
  process.env.HOME = entry.home || '/';
  process.env.USER = entry.name;
  process.env.LOGNAME = entry.name;
  return { user: entry.name, uid: entry.uid, gid: entry.gid };
}

/** assertNoNetAdmin refuses to continue when this process could still use CAP_NET_ADMIN. */
export function assertNoNetAdmin(statusPath = '/proc/self/status'): void {
  const caps = parseProcStatusCaps(readFileSync(statusPath, 'utf8'));
  if (hasCapability(usableCapabilities(caps), CAP_NET_ADMIN)) {
    throw new Error('the dashboard process holds CAP_NET_ADMIN; run it as an unprivileged user (only the collector may change the firewall)');
  }
}
