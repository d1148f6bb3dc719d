/**
 * The collector's main loop: poll every interval, without drift and without
 * overlapping polls; SIGTERM/SIGINT finish the current poll, close the store and
 * leave the firewall rules in place.
 */
import { openDb, type Db } from '../db/open';
import { closeStore } from '../db/store-file';
import { controlSocketPath } from '../lib/channel';
import { openChannel } from './channel/open';
import { deleteEventsBefore, insertEvent } from '../db/queries/status';
import { pruneUsage } from '../db/store/rollup';
import { foldDestinations, pruneDestinations } from '../db/store/dest-write';
import { deleteGoneCgroups } from '../db/queries/apps';
import type { CollectorConfig } from './config';
import { counterReader, NFTDUMP_BIN } from './nft/counters';
import { nftRunner } from './nft/exec';
import { newPollState, poll, ensureRuleset, runSource, type PollContext } from './poll';
import { checkAlerts } from './alerts';
import { Reconciler, type RulesetExtension } from './reconcile';
import { CgroupTracker, type SeenCgroup } from './sources/cgroups';
import { InterfaceNames, NftCounterSource } from './sources/nft-counters';
import { PollStore } from './store';
import { firewallExtension } from './firewall';
import { unixSeconds } from '../lib/time';
import { selectCounter } from './counter-select';
import { LiveConnections } from './live';
import { SocketSource } from './sources/sockets';
import { deleteLiveSockets } from '../db/queries/live';

export interface Collector {
  ctx: PollContext;
  /** Resolves when the loop has stopped and the store is closed. */
  stopped: Promise<void>;
  stop(): void;
}

function logLine(level: string, msg: string): void {
  process.stderr.write(`${new Date().toISOString()} ${level} ${msg}\n`);
}

/** createContext opens the store and sets up the sources and the firewall for a collector. */
export function createContext(cfg: CollectorConfig, opts: { extension?: RulesetExtension; log?: PollContext['log'] } = {}): PollContext {
  const db: Db = openDb(cfg.dbPath, { migrate: true });
  const tracker = new CgroupTracker(cfg.cgroupRoot, { watch: !cfg.once });
  const extension = opts.extension ?? firewallExtension(db, cfg.cgroupRoot);
  const log = opts.log ?? logLine;
  const reader = counterReader({ nftdumpBin: NFTDUMP_BIN, nftBin: cfg.nftBin, runDir: cfg.runDir, log });
  const ifnames = new InterfaceNames();
  const nft = new NftCounterSource(reader, { role: 'apps', elementTimeoutSec: cfg.elementTimeoutSec, idOfPath: (p) => tracker.idOfPath(p), log, ifnames });
  const reconciler = new Reconciler(nftRunner({ bin: cfg.nftBin }), { extension, log });
  return { cfg, db, tracker, reconciler, nft, ifnames, bpf: null, dns: null, store: new PollStore(db, log), log, st: newPollState(db) };
}

const HOUR = 3600_000;

/** housekeeping prunes roll-up rows past retention, cgroups gone for 15 days (or beyond 100 per app) and old events; folds closed hours' destinations to each app's top 100 and prunes old ones. */
function housekeeping(ctx: PollContext, now: number): void {
  const cut = unixSeconds(now);
  const pruned = pruneUsage(ctx.db, cut);
  const cgroups = deleteGoneCgroups(ctx.db, { before: cut - 15 * 86400, keepPerApp: 100 });
  const events = deleteEventsBefore(ctx.db, now - 90 * 86400_000);
  const folded = foldDestinations(ctx.db, cut);
  const dests = pruneDestinations(ctx.db, cut, ctx.cfg.destinationsKeepDays);
  if (pruned || cgroups || events || folded || dests) {
    ctx.log('info', `housekeeping: removed ${pruned} old roll-up rows, ${cgroups} long-gone cgroups, ${events} old events, ${dests} old destination rows; folded ${folded} destinations into "other destinations"`);
  }
}

/** startCollector runs the loop until stop() or a signal. */
export function startCollector(cfg: CollectorConfig, opts: { extension?: RulesetExtension; handleSignals?: boolean; log?: PollContext['log'] } = {}): Collector {
  const ctx = createContext(cfg, opts);
  let stopping = false;
  let wake: (() => void) | null = null;
  const stop = () => {
    stopping = true;
    wake?.();
  };
  if (opts.handleSignals !== false) {
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  }
  // A new cgroup at a level we do not look at yet, or one with rules, re-applies the
  // ruleset at once instead of at the next poll.
  let pendingApply = false;
  // The watcher has already read each new cgroup: add it to the live list rather than
  // scanning the whole tree again (the next poll's scan settles populated flags).
  const fresh: SeenCgroup[] = [];
  ctx.tracker.onNew((c) => {
    fresh.push(c);
    if (pendingApply || stopping) return;
    pendingApply = true;
    setTimeout(() => {
      pendingApply = false;
      if (stopping) return;
      const known = new Set(ctx.st.live.map((l) => l.id));
      const added = fresh.splice(0).filter((f) => f.goneAt === null && !known.has(f.id));
      ctx.st.live = [...ctx.st.live, ...added.map((f) => ({ id: f.id, path: f.path, level: f.level, populated: f.samplePid !== null, samplePid: f.samplePid }))];
      ensureRuleset(ctx, { force: false }).catch((err: unknown) => ctx.log('error', `ruleset: ${err instanceof Error ? err.message : String(err)}`));
    }, 50);
  });
  const stopped = (async () => {
    try {
      const sel = await selectCounter(ctx);
      ctx.log('info', `counting per app with ${sel.source === 'bpf' ? 'the cgroup BPF program' : 'nft sets'}`);
    } catch (err) {
      ctx.tracker.close();
      await ctx.nft.close();
      closeStore(ctx.db);
      throw err;
    }
    // A previous run's snapshots are no one's now; live connections are listed while the dashboard asks.
    deleteLiveSockets(ctx.db);
    const live = cfg.once ? null : new LiveConnections({ db: ctx.db, sockets: new SocketSource(), log: ctx.log });
    const channel = cfg.once ? null : await openChannel(ctx, { path: controlSocketPath(cfg.dbPath), live: live ?? undefined, onWrite: () => {
      if (!stopping) ensureRuleset(ctx, { force: false }).catch((err: unknown) => ctx.log('error', `ruleset: ${err instanceof Error ? err.message : String(err)}`));
    } });
    insertEvent(ctx.db, { ts: Date.now(), level: 'info', kind: 'collector-start', message: `collector started (pid ${process.pid}, every ${cfg.intervalSec} s)` });
    let lastHousekeeping = 0;
    let next = Date.now();
    while (!stopping) {
      const r = await poll(ctx);
      if (!r.ok) ctx.log('warn', 'poll incomplete: see collector_status');
      // Plans and caps at their thresholds (a new app's first traffic is recorded by the poll's store).
      if (r.ok) await runSource(ctx, 'alerts', () => checkAlerts(ctx.db, Date.now()), (n) => ({ recorded: n }));
      const now = Date.now();
      if (now - lastHousekeeping > HOUR) {
        lastHousekeeping = now;
        try {
          housekeeping(ctx, now);
        } catch (err) {
          ctx.log('error', `housekeeping: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      if (cfg.once) break;
      next += cfg.intervalSec * 1000;
      if (next < now) next = now + cfg.intervalSec * 1000; // fell behind: skip, never overlap
      await new Promise<void>((res) => {
        const t = setTimeout(res, next - Date.now());
        wake = () => {
          clearTimeout(t);
          res();
        };
      });
      wake = null;
    }
    insertEvent(ctx.db, { ts: Date.now(), level: 'info', kind: 'collector-stop', message: 'collector stopped; firewall rules stay in place' });
    ctx.tracker.close();
    await ctx.nft.close();
    ctx.bpf?.close();
    ctx.dns?.close();
    await channel?.close();
    await live?.close();
    closeStore(ctx.db);
  })();
  return { ctx, stopped, stop };
}
