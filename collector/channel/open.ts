import { insertEvent } from '../../db/queries/status';
import type { PollContext } from '../poll';
import { channelHandlers, type LiveWatcher } from './handlers';
import { startChannelServer, type ChannelServer } from './server';

/**
 * openChannel starts the collector's control socket for the dashboard's writes (and its looks
 * at live connections, answered by `live`). Counting
 * goes on without it when it cannot listen; the reason is logged and shown as an event.
 */
export async function openChannel(ctx: PollContext, opts: { path: string; onWrite: () => void; live?: LiveWatcher }): Promise<ChannelServer | null> {
  try {
    return await startChannelServer({ path: opts.path, dbPath: ctx.cfg.dbPath, handlers: channelHandlers(ctx.db, { live: opts.live }), onWrite: opts.onWrite, log: ctx.log });
  } catch (err) {
    const message = `the dashboard cannot save changes: control socket ${opts.path}: ${err instanceof Error ? err.message : String(err)}`;
    ctx.log('error', message);
    insertEvent(ctx.db, { ts: Date.now(), level: 'error', kind: 'control-socket', message });
    return null;
  }
}
