/**
 * Re-binding rules when cgroups come and go: a service restart or an app relaunch makes
 * a new cgroup (new id, often the same path), and the verdict-map element that sent the
 * old one to its app chain does not follow. A cheap walk of the tree every 200 ms
 * (directory names and inode numbers only) notices within one interval and calls back,
 * so the caller can re-plan and apply well within a second, without waiting for a poll.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface TreeEntry {
  path: string;
  /** Inode number = kernel cgroup id. */
  id: number;
}

export interface WatchOptions {
  intervalMs?: number;
  /** Deepest level walked (apps live well above 12). */
  maxLevel?: number;
}

export interface CgroupWatch {
  close(): void;
  /** Resolves once the callback has run for the state seen now (tests and `appnet run`). */
  settled(): Promise<void>;
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

const signature = (t: TreeEntry[]) => t.map((e) => `${e.id}:${e.path}`).sort().join('\n');

/**
 * watchCgroups calls onChange(tree) whenever a cgroup appears, disappears or is
 * re-created under the same path. Calls never overlap: a change seen while the callback
 * runs triggers one more call after it. Errors from the callback go to onError.
 */
export function watchCgroups(
  root: string,
  onChange: (tree: TreeEntry[]) => void | Promise<void>,
  opts: WatchOptions & { onError?: (err: unknown) => void } = {},
): CgroupWatch {
  const interval = opts.intervalMs ?? 200;
  let last = signature(readTree(root, opts.maxLevel));
  let running: Promise<void> | null = null;
  let closed = false;
  const tick = () => {
    if (running || closed) return;
    const tree = readTree(root, opts.maxLevel);
    const sig = signature(tree);
    if (sig === last) return;
    last = sig;
    running = Promise.resolve()
      .then(() => onChange(tree))
      .catch((err: unknown) => opts.onError?.(err))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, interval);
  timer.unref();
  return {
    close() {
      closed = true;
      clearInterval(timer);
    },
    async settled() {
      tick();
      while (running) await running;
    },
  };
}
