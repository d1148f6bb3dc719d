/** What the collector's commands need of the process: CAP_NET_ADMIN, read from /proc like the dashboard's check (lib/security/caps.ts). */
import { readFileSync } from 'node:fs';
import { CAP_NET_ADMIN, hasCapability, parseProcStatusCaps } from '../lib/security/caps';

/** requireNetAdmin stops with one clear line when the process may not change netfilter. */
export function requireNetAdmin(): void {
  let ok = false;
  try {
    ok = hasCapability(parseProcStatusCaps(readFileSync('/proc/self/status', 'utf8')).effective, CAP_NET_ADMIN);
  } catch {
    ok = process.getuid?.() === 0;
  }
  if (!ok) {
    process.stderr.write('appnet: the collector needs root or CAP_NET_ADMIN (it reads and writes nftables): run it with sudo\n');
    process.exit(1);
  }
}
