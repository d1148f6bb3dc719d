/**
 * Populating a sandbox with many apps: cgroups (mkdir in the sandbox's tree) and the
 * counter elements the datapath would have created for them.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from '../collector/sandbox/sandbox';
import { SET_ACCT_IN, SET_ACCT_OUT, TABLE_FAMILY, TABLE_NAME } from '../lib/nft/names';

/** appCgroup names the i-th synthetic app: a service, level 2. */
export function appCgroup(i: number): string {
  return `system.slice/app-${i}.service`;
}

/** makeApps creates cgroups app-0 … app-(n-1) (existing ones are kept). */
export function makeApps(s: Sandbox, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    s.mkCgroup(appCgroup(i));
    out.push(appCgroup(i));
  }
  return out;
}

/**
 * elementCommands adds one counter element per (cgroup, interface) to the accounting
 * sets, as the dynamic sets would after one packet each way:
 *   add element inet appnet acct_out { "system.slice/app-1.service" . "wwan0" }
 */
export function elementCommands(cgroups: string[], iface: string, opts: { sets?: string[] } = {}): string[] {
  const sets = opts.sets ?? [SET_ACCT_OUT, SET_ACCT_IN];
  const out: string[] = [];
  for (const set of sets) {
    for (let i = 0; i < cgroups.length; i += 500) {
      const el = cgroups.slice(i, i + 500).map((c) => `"${c}" . "${iface}"`);
      out.push(`add element ${TABLE_FAMILY} ${TABLE_NAME} ${set} { ${el.join(', ')} }`);
    }
  }
  return out;
}

/** cgroupIdMap walks a cgroup tree (directories only) and maps each cgroup id (inode) to its relative path. */
export function cgroupIdMap(root: string): Map<number, string> {
  const map = new Map<number, string>();
  const walk = (dir: string, rel: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const p = join(dir, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      map.set(statSync(p).ino, r);
      walk(p, r);
    }
  };
  walk(root, '');
  return map;
}
