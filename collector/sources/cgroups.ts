/**
 * The cgroup tree, kept up to date by inotify rather than walked each poll: watches on
 * the directories where units appear report every cgroup created or removed there within
 * moments, so cgroups that live for less than a poll interval are still seen (and their
 * bytes keep a name after they are gone). A full rescan (readdir + stat, no interface
 * file read) repairs missed events every few minutes, and runs at once when a counter
 * names an id the tracker does not know.
 */
import { readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

export interface LiveCgroup {
  id: number;
  /** Relative to the cgroup root, no leading slash. */
  path: string;
  level: number;
  /**
   * Has processes of its own: read at each refresh for cgroups with children and for
   * cgroups not stored yet; for other leaves, as when first seen (leaves count as
   * populated levels either way).
   */
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

/** walkCgroups lists every cgroup below root (not the root) with its id (the directory's inode); it reads no interface file. */
export function walkCgroups(root: string): Array<{ id: number; path: string }> {
  const out: Array<{ id: number; path: string }> = [];
  const walk = (rel: string) => {
    let entries;
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true });
    } catch {
      return; // removed while walking
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const path = rel ? `${rel}/${e.name}` : e.name;
      try {
        out.push({ id: statSync(join(root, path)).ino, path });
      } catch {
        continue;
      }
      walk(path);
    }
  };
  walk('');
  return out;
}

/** scanCgroups walks the tree and reads every cgroup.procs: the full picture, at a cost that grows with the tree (what each poll used to do). */
export function scanCgroups(root: string): LiveCgroup[] {
  return walkCgroups(root).map(({ id, path }) => {
    const procs = readProcs(join(root, path));
    return { id, path, level: path.split('/').length, populated: procs.length > 0, samplePid: procs[0] ?? null };
  });
}

/** Directories worth watching for new children: all but scopes, which systemd keeps as leaves. */
function watchable(path: string): boolean {
  return !path.endsWith('.scope');
}

const parentOf = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf('/')));

export interface TrackerOptions {
  /** Watch the tree with inotify; without, every refresh rescans it (one-shot runs). */
  watch: boolean;
  /** Interval of the repairing full rescan while watching, ms (default 5 minutes). */
  fullScanMs?: number;
}

/**
 * CgroupTracker remembers every cgroup it has seen, live or gone, fed by inotify events
 * and rescans. onNew is called for a cgroup seen for the first time, within moments of
 * its creation when its parent is watched.
 */
export class CgroupTracker {
  readonly seen = new Map<number, SeenCgroup>();
  private byPath = new Map<string, number>();
  /** Live child paths of each live path ('' is the root). */
  private children = new Map<string, Set<string>>();
  private watchers = new Map<string, FSWatcher>();
  /** Watches on new scopes that have no process yet, by cgroup id (see watchFirstProcess). */
  private firstProcess = new Map<number, FSWatcher>();
  private listeners: Array<(c: SeenCgroup) => void> = [];
  private lastFullScan = -Infinity;
  /** Ids counters named that a rescan did not find (gone before they were seen). */
  private unresolved = new Set<number>();
  /** Full rescans so far, and cgroups they found that the watches had missed. */
  rescans = 0;
  repaired = 0;
  /** Bumped on every change of the live set; the live list is rebuilt only then. */
  private version = 0;
  private built = -1;
  private live: LiveCgroup[] = [];
  /** Entries of the live list whose cgroup.procs is read at each refresh (see refresh). */
  private checks: Array<{ live: LiveCgroup; seen: SeenCgroup }> = [];

  constructor(private readonly root: string, private readonly opts: TrackerOptions = { watch: true }) {}

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
    const other = this.byPath.get(path);
    // The same name again with a new id: the old cgroup was removed and re-created.
    if (other !== undefined && other !== id) this.markGone(other, now);
    this.version++;
    if (!c) {
      c = { id, path, level: path.split('/').length, firstSeen: now, goneAt: null, samplePid, stored: false };
      this.seen.set(id, c);
      for (const fn of this.listeners) fn(c);
    } else {
      if (c.path !== path) {
        // Renamed (rename(2) works on cgroup directories): drop the old name.
        this.children.get(parentOf(c.path))?.delete(c.path);
        if (this.byPath.get(c.path) === id) this.byPath.delete(c.path);
        this.unwatch(c.path);
        c.path = path;
        c.level = path.split('/').length;
      }
      c.goneAt = null;
      if (samplePid !== null) c.samplePid = samplePid;
    }
    this.byPath.set(path, id);
    const parent = parentOf(path);
    let kids = this.children.get(parent);
    if (!kids) this.children.set(parent, (kids = new Set()));
    kids.add(path);
    if (this.opts.watch && watchable(path)) this.watchDir(path);
    else if (this.opts.watch && c.samplePid === null && !c.stored) this.watchFirstProcess(c);
    return c;
  }

  /**
   * watchFirstProcess reads a new scope's first process when it joins (cgroup.events
   * changes as the scope becomes populated), not at the next poll: a short run (a package
   * download in an unnamed systemd-run scope) has often ended by then, and a cgroup
   * without a program name must be named after its executable or not at all.
   */
  private watchFirstProcess(c: SeenCgroup): void {
    if (this.firstProcess.has(c.id)) return;
    try {
      const w = watch(join(this.root, c.path), { persistent: false }, (_event, name) => {
        if (name !== 'cgroup.events' && name !== 'cgroup.procs') return;
        const pid = readProcs(join(this.root, c.path))[0] ?? null;
        if (pid === null) return;
        c.samplePid = pid;
        this.version++;
        this.unwatchFirstProcess(c.id);
      });
      w.on('error', () => this.unwatchFirstProcess(c.id));
      this.firstProcess.set(c.id, w);
    } catch {
      /* directory vanished */
    }
  }

  private unwatchFirstProcess(id: number): void {
    this.firstProcess.get(id)?.close();
    this.firstProcess.delete(id);
  }

  /** markGone stamps a cgroup and everything known below it as gone. */
  private markGone(id: number, now: number): void {
    const c = this.seen.get(id);
    if (!c || c.goneAt !== null) return;
    this.version++;
    c.goneAt = now;
    this.unwatchFirstProcess(id);
    for (const child of [...(this.children.get(c.path) ?? [])]) {
      const cid = this.byPath.get(child);
      if (cid !== undefined) this.markGone(cid, now);
    }
    this.children.delete(c.path);
    this.children.get(parentOf(c.path))?.delete(c.path);
    if (this.byPath.get(c.path) === id) this.byPath.delete(c.path);
    this.unwatch(c.path);
  }

  /** onEvent looks at a name that was created or removed in a watched directory. */
  private onEvent(path: string, name: string): void {
    const child = path ? `${path}/${name}` : name;
    const now = Date.now();
    let st;
    try {
      st = statSync(join(this.root, child));
    } catch {
      const id = this.byPath.get(child);
      if (id !== undefined) this.markGone(id, now);
      return;
    }
    if (!st.isDirectory()) return;
    const known = this.seen.get(st.ino);
    if (known && known.goneAt === null && known.path === child) return;
    this.note(child, st.ino, readProcs(join(this.root, child))[0] ?? null, now);
    this.watchChildren(child);
  }

  private watchDir(path: string): void {
    if (this.watchers.has(path)) return;
    try {
      const w = watch(join(this.root, path), { persistent: false }, (event, name) => {
        // Interface files (cgroup.events, memory.pressure, …) also report changes; only directories come and go.
        if (event !== 'rename' || !name || /^(cgroup|cpu|cpuset|io|memory|pids|rdma|hugetlb|misc)\./.test(name)) return;
        this.onEvent(path, name);
      });
      w.on('error', () => {
        this.unwatch(path);
        this.lastFullScan = -Infinity; // events may have been lost: rescan at the next refresh
      });
      this.watchers.set(path, w);
    } catch {
      /* directory vanished */
    }
  }

  private watchChildren(path: string): void {
    try {
      for (const e of readdirSync(join(this.root, path), { withFileTypes: true })) {
        if (e.isDirectory()) this.onEvent(path, e.name);
      }
    } catch {
      /* raced with removal */
    }
  }

  private unwatch(path: string): void {
    this.watchers.get(path)?.close();
    this.watchers.delete(path);
  }

  /** fullScan walks the tree: notes cgroups the watches missed and stamps vanished ones. */
  private fullScan(now: number): void {
    const found = walkCgroups(this.root);
    const ids = new Set<number>();
    const first = this.lastFullScan === -Infinity && this.rescans === 0;
    for (const f of found) {
      ids.add(f.id);
      const known = this.seen.get(f.id);
      if (known && known.goneAt === null && known.path === f.path) continue;
      if (!first && this.opts.watch) this.repaired++;
      this.note(f.path, f.id, readProcs(join(this.root, f.path))[0] ?? null, now);
    }
    for (const c of [...this.seen.values()]) if (c.goneAt === null && !ids.has(c.id)) this.markGone(c.id, now);
    this.lastFullScan = now;
    this.rescans++;
  }

  /**
   * refresh returns the live cgroups (the same array until the tree changes: callers do
   * not modify it). It rescans the whole tree only when not watching or when the periodic
   * repair is due; otherwise it reads cgroup.procs just where it can change the answer:
   * cgroups with children (a process in an inner cgroup adds a level) and cgroups not
   * stored yet (their first process names them).
   */
  refresh(now: number): LiveCgroup[] {
    if (!this.opts.watch || now - this.lastFullScan >= (this.opts.fullScanMs ?? 5 * 60_000)) this.fullScan(now);
    const needsRead = (c: SeenCgroup) => Boolean(this.children.get(c.path)?.size) || (!c.stored && c.samplePid === null);
    if (this.built !== this.version) {
      this.live = [];
      this.checks = [];
      for (const c of this.seen.values()) {
        if (c.goneAt !== null) continue;
        const l: LiveCgroup = { id: c.id, path: c.path, level: c.level, populated: c.samplePid !== null, samplePid: c.samplePid };
        this.live.push(l);
        if (needsRead(c)) this.checks.push({ live: l, seen: c });
      }
      this.built = this.version;
    }
    for (const [id, w] of this.firstProcess) {
      const c = this.seen.get(id);
      if (!c || c.stored || c.samplePid !== null) {
        w.close();
        this.firstProcess.delete(id);
      }
    }
    for (const { live, seen } of this.checks) {
      if (!needsRead(seen)) continue;
      const pid = readProcs(join(this.root, seen.path))[0] ?? null;
      live.populated = pid !== null;
      if (pid !== null) seen.samplePid = live.samplePid = pid;
    }
    return this.live;
  }

  /**
   * resolve makes sure the tracker knows each id a counter names: unknown ids trigger one
   * full rescan; ids still unknown after it (cgroups already gone) do not trigger another.
   */
  resolve(ids: Iterable<number>, now: number): void {
    const unknown: number[] = [];
    for (const id of ids) if (!this.seen.has(id)) unknown.push(id);
    if (unknown.some((id) => !this.unresolved.has(id))) this.fullScan(now);
    this.unresolved = new Set(unknown.filter((id) => !this.seen.has(id)));
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
    for (const id of [...this.firstProcess.keys()]) this.unwatchFirstProcess(id);
  }

  /** watchCount is the number of inotify watches held. */
  get watchCount(): number {
    return this.watchers.size;
  }
}
