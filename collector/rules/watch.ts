/**
 * The cgroup tree as one walk sees it (directory names and inode numbers only), for
 * `appnet run`, which binds a new app scope's rules before its command starts. The
 * collector keeps the rules bound across restarts and relaunches with its own tracker
 * (collector/sources/cgroups.ts).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface TreeEntry {
  path: string;
  /** Inode number = kernel cgroup id. */
  id: number;
}

/** readTree lists every cgroup below root with its id; vanishing directories are skipped. */
export function readTree(root: string, maxLevel = 12): TreeEntry[] {
  const out: TreeEntry[] = [];
  const walk = (rel: string, level: number) => {
    if (level >= maxLevel) return;
    let names: string[];
    try {
      names = readdirSync(join(root, rel), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return;
    }
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      try {
        out.push({ path, id: statSync(join(root, path)).ino });
      } catch {
        continue;
      }
      walk(path, level + 1);
    }
  };
  walk('', 0);
  return out;
}
