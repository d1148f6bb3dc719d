/**
 * The cgroup tree: a scan each poll plus inotify watches on the directories where
 * units appear, so cgroups that live for less than a poll interval are still seen
 * (and their bytes keep a name after they are gone).
 */
import { readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

export interface LiveCgroup {
  id: number;
  /** Relative to the cgroup root, no leading slash. */
  path: string;
  level: number;
  /** Has processes of its own right now. */
  populated: boolean;
  /** A pid in it when seen, for naming. */
  samplePid: number | null;
}

export interface SeenCgroup {
  id: number;
  path: string;
  level: number;
  firstSeen: number;
  goneAt: number | null;
  samplePid: number | null;
  /** Written to the store already. */
  stored: boolean;
}

function readProcs(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** scanCgroups walks the cgroup tree below root and returns every cgroup but the root. */
export function scanCgroups(root: string): LiveCgroup[] {
  const out: LiveCgroup[] = [];
  const walk = (rel: string, level: number) => {
    let entries;
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true });
    } catch {
      return; // removed while walking
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const path = rel ? `${rel}/${e.name}` : e.name;
      const dir = join(root, path);
      let id: number;
      try {
        id = statSync(dir).ino;
      } catch {
        continue;
      }
      const procs = readProcs(dir);
      out.push({ id, path, level: level + 1, populated: procs.length > 0, samplePid: procs[0] ?? null });
      walk(path, level + 1);
    }
  };
  walk('', 0);
  return out;
}

/** Directories worth watching for new children: all but scopes, which systemd keeps as leaves. */
function watchable(path: string): boolean {
  return !path.endsWith('.scope');
}

/**
 * CgroupTracker remembers every cgroup it has seen, live or gone, fed by scans and
 * by inotify events. onNew is called for a cgroup seen for the first time, within
 * moments of its creation when its parent is watched.
 */
export class CgroupTracker {
  readonly seen = new Map<number, SeenCgroup>();
  private byPath = new Map<string, number>();
  private watchers = new Map<string, FSWatcher>();
  private listeners: Array<(c: SeenCgroup) => void> = [];

  constructor(private readonly root: string, private readonly opts: { watch: boolean } = { watch: true }) {}

  /** onNew registers a callback for cgroups seen for the first time. */
  onNew(fn: (c: SeenCgroup) => void): void {
    this.listeners.push(fn);
  }

  /** idOfPath returns the id of a cgroup path, reading the tree if it is not known yet. */
  idOfPath(path: string): number | null {
    const known = this.byPath.get(path);
    if (known !== undefined) return known;
    try {
      const id = statSync(join(this.root, path)).ino;
      this.note(path, id, null, Date.now());
      return id;
    } catch {
      return null;
    }
  }

  private note(path: string, id: number, samplePid: number | null, now: number): SeenCgroup {
    let c = this.seen.get(id);
    if (!c) {
      c = { id, path, level: path.split('/').length, firstSeen: now, goneAt: null, samplePid, stored: false };
      this.seen.set(id, c);
      this.byPath.set(path, id);
      for (const fn of this.listeners) fn(c);
    } else {
      c.goneAt = null;
      if (samplePid !== null) c.samplePid = samplePid;
    }
    if (this.opts.watch && watchable(path)) this.watchDir(path);
    return c;
  }

  private watchDir(path: string): void {
    if (this.watchers.has(path)) return;
    try {
      const w = watch(join(this.root, path), { persistent: false }, (_event, name) => {
        // Interface files (cgroup.events, memory.pressure, …) also report changes; only directories matter.
        if (!name || /^(cgroup|cpu|cpuset|io|memory|pids|rdma|hugetlb|misc)\./.test(name)) return;
        const child = path ? `${path}/${name}` : name;
        try {
          const st = statSync(join(this.root, child));
          if (!st.isDirectory()) return;
          const procs = readProcs(join(this.root, child));
          this.note(child, st.ino, procs[0] ?? null, Date.now());
          this.watchChildren(child);
        } catch {
          /* gone already: the scan or the counters will tell */
        }
      });
      w.on('error', () => this.unwatch(path));
      this.watchers.set(path, w);
    } catch {
      /* directory vanished */
    }
  }

  private watchChildren(path: string): void {
    try {
      for (const e of readdirSync(join(this.root, path), { withFileTypes: true })) {
        if (!e.isDirectory()) continue;
        const child = `${path}/${e.name}`;
        const st = statSync(join(this.root, child));
        this.note(child, st.ino, readProcs(join(this.root, child))[0] ?? null, Date.now());
      }
    } catch {
      /* raced with removal */
    }
  }

  private unwatch(path: string): void {
    this.watchers.get(path)?.close();
    this.watchers.delete(path);
  }

  /** refresh scans the tree: records new cgroups, stamps vanished ones, and returns the live list. */
  refresh(now: number): LiveCgroup[] {
    const live = scanCgroups(this.root);
    const liveIds = new Set<number>();
    for (const c of live) {
      liveIds.add(c.id);
      this.note(c.path, c.id, c.samplePid, now);
    }
    for (const c of this.seen.values()) {
      if (c.goneAt === null && !liveIds.has(c.id)) {
        c.goneAt = now;
        if (this.byPath.get(c.path) === c.id) this.byPath.delete(c.path);
        this.unwatch(c.path);
      }
    }
    return live;
  }

  /** forget drops gone cgroups that no kernel counter refers to any more, bounding memory under churn. */
  forget(stillCounted: Set<number>, goneBefore: number): number {
    let n = 0;
    for (const [id, c] of this.seen) {
      if (c.goneAt !== null && c.goneAt < goneBefore && c.stored && !stillCounted.has(id)) {
        this.seen.delete(id);
        n++;
      }
    }
    return n;
  }

  /** close stops all watches. */
  close(): void {
    for (const p of [...this.watchers.keys()]) this.unwatch(p);
  }

  /** watchCount is the number of inotify watches held. */
  get watchCount(): number {
    return this.watchers.size;
  }
}
