/** A warning the collector both logs and records for the Health page. */
import type { Db } from '../db/open';
import { insertEvent } from '../db/queries/status';

/** warnEvent logs `message` as a warning and records it as a Health event of `kind` at `ts` (unix ms). */
export function warnEvent(ctx: { db: Db; log: (level: 'warn', msg: string) => void }, kind: string, message: string, ts = Date.now()): void {
  ctx.log('warn', message);
  insertEvent(ctx.db, { ts, level: 'warn', kind, message });
}
