/** The collector as users run it (bin/appnet.mjs collect), seen from outside: when has it polled? */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** APPNET is the command users run. */
export const APPNET = join(import.meta.dirname, '..', 'bin', 'appnet.mjs');

/** waitForPoll waits until the collector finished a successful poll that started after `after` (unix ms). */
export async function waitForPoll(db: string, after: number, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (existsSync(db)) {
      try {
        const d = new Database(db, { readonly: true });
        const r = d.prepare("SELECT last_run AS t, ok FROM collector_status WHERE source = 'poll'").get() as { t: number; ok: number } | undefined;
        d.close();
        if (r && r.t > after && r.ok === 1) return;
      } catch {
        /* not migrated yet */
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no successful poll after ${new Date(after).toISOString()} within ${timeoutMs} ms`);
}
