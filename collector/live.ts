/**
 * The app page's live connections (issue 19). The dashboard, which may not write the store, says
 * over the control socket which app it shows (`live.watch`); while any app was asked for in the
 * last LIVE_HOLD_MS, the collector lists the sockets every LIVE_EVERY_MS on a timer of its own
 * (apart from the poll), finds each socket's app by its cgroup in the store, and replaces those
 * apps' snapshots in one transaction. Nobody watching: no listing, no write, and the rows of apps
 * no longer watched are deleted. A failure is logged once and told to the page with the next look
 * (not recorded as a collector source: a listing nobody asks for again would stay failed, and alerting, forever).
 */
import type { Db } from '../db/open';
import { getCgroupAppId } from '../db/queries/apps';
import { deleteLiveSockets, replaceLiveSockets } from '../db/queries/live';
import { groupSockets, LIVE_EVERY_MS, LIVE_HOLD_MS, type SocketEntry } from '../lib/live';
import { SOCKDIAG_BIN } from './sources/sockets';

/** What the collector answers a look: whether it can list sockets, and why not. */
export interface LiveAnswer {
  available: boolean;
  reason: string | null;
}

/** Lists the sockets; SocketSource in the collector, a fixture in tests. */
export interface SocketLister {
  readonly available: boolean;
  read(): Promise<SocketEntry[]>;
  close(): void;
}

type Log = (level: 'info' | 'warn' | 'error', msg: string) => void;

export interface LiveOptions {
  db: Db;
  sockets: SocketLister;
  log: Log;
  everyMs?: number;
  holdMs?: number;
}

/** Apps watched at once, at most: every look names one, and each watched app costs rows at every listing. */
const MAX_WATCHED = 64;

const NO_CGROUPS = 'the kernel does not say which cgroup a socket belongs to (Linux 5.7 or later reports it): live connections cannot be told apart by app';

/** LiveConnections runs the listings while somebody watches; see the file comment. */
export class LiveConnections {
  /** app id → until when (unix ms) it is watched. */
  private readonly wanted = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private lastError: string | null = null;
  private closed = false;

  constructor(private readonly opts: LiveOptions) {}

  /** watch notes that an app's page wants its connections now; the first look starts the listings at once. */
  watch(appId: number, now = Date.now()): LiveAnswer {
    if (!this.opts.sockets.available) return { available: false, reason: `the socket lister ${SOCKDIAG_BIN} is not built (scripts/ensure-deps.sh builds it)` };
    if (this.closed) return { available: false, reason: 'the collector is stopping' };
    if (!this.wanted.has(appId) && this.wanted.size >= MAX_WATCHED) return { available: false, reason: `${MAX_WATCHED} other apps are being watched (each page open on an app asks); try again when some are closed` };
    this.wanted.set(appId, now + (this.opts.holdMs ?? LIVE_HOLD_MS));
    if (this.timer === null) {
      this.timer = setInterval(() => void this.tick(), this.opts.everyMs ?? LIVE_EVERY_MS);
      this.timer.unref();
      void this.tick();
    }
    return { available: this.lastError === null, reason: this.lastError };
  }

  /** tick takes one listing for the watched apps (never two at once) and stops the timer when nobody watches. */
  tick(): Promise<void> {
    this.running ??= this.listOnce().finally(() => (this.running = null));
    return this.running;
  }

  /** listOnce never throws: a failure (the lister, the store) is logged once and answered to the next look. */
  private async listOnce(): Promise<void> {
    const now = Date.now();
    const gone = [...this.wanted].filter(([, until]) => until < now).map(([id]) => id);
    for (const id of gone) this.wanted.delete(id);
    if (this.wanted.size === 0) {
      this.stopTimer();
      this.opts.sockets.close();
    }
    try {
      if (gone.length) deleteLiveSockets(this.opts.db, gone);
      if (this.wanted.size === 0) return;
      const entries = await this.opts.sockets.read();
      if (this.closed) return;
      if (entries.length > 0 && entries.every((e) => e.cgroupId === null)) throw new Error(NO_CGROUPS);
      const apps = new Map<number, number | undefined>();
      const appOf = (cg: number) => {
        if (!apps.has(cg)) apps.set(cg, getCgroupAppId(this.opts.db, cg));
        return apps.get(cg);
      };
      const takenAt = Date.now();
      const groups = groupSockets(entries, appOf, this.wanted.keys());
      replaceLiveSockets(this.opts.db, takenAt, groups);
      this.lastError = null;
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      if (error !== this.lastError) this.opts.log('error', `live connections: ${error}`);
      this.lastError = error;
    }
  }

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** close stops the listings and the lister, waiting for one under way (its rows are not written). */
  async close(): Promise<void> {
    this.closed = true;
    this.stopTimer();
    await this.running;
    this.opts.sockets.close();
  }
}
