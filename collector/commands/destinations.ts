import type { Command } from 'commander';
import { dbOption } from '../../lib/store-option';

/**
 * registerDestinations adds `appnet destinations on|off|clear|status`: the global switch of
 * destination history (the collector follows it at its next poll; `collect --no-destinations`
 * overrides it) and clearing what was recorded.
 */
export function registerDestinations(program: Command): void {
  program
    .command('destinations')
    .description('per-app destination history: on, off (nothing new is recorded), clear (delete all of it and the learned host names), status')
    .argument('<action>', 'on | off | clear | status')
    .addOption(dbOption())
    .action(async (action: string, opts: { db: string }) => {
      if (!['on', 'off', 'clear', 'status'].includes(action)) throw new Error(`the action is on, off, clear or status, not '${action}'`);
      const [{ openDb }, q, w, { destinationsStateText }] = await Promise.all([
        import('../../db/open'), import('../../db/queries/destinations'), import('../../db/store/dest-write'), import('../../lib/dest-state'),
      ]);
      const db = openDb(opts.db, { migrate: true });
      try {
        if (action === 'on' || action === 'off') {
          q.setDestinationsSetting(db, action === 'on');
          process.stdout.write(`destination history is ${action === 'on' ? 'on' : 'off: nothing new is recorded (what was recorded stays until `appnet destinations clear`)'}\n`);
        } else if (action === 'clear') {
          process.stdout.write(`deleted ${w.clearDestinations(db)} destination rows and the learned host names\n`);
        } else {
          const wish = q.getDestinationsSetting(db);
          const state = q.getDestinationsState(db);
          process.stdout.write(`destination history is ${wish ? 'on' : 'off'}\n`);
          if (state) process.stdout.write(`the collector: ${destinationsStateText(state, wish)}\n`);
        }
      } finally {
        db.close();
      }
    });
}
