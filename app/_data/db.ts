/** The dashboard's connections to the collector's store: one cached read-only handle, short-lived writers. */
import { existsSync, statSync } from 'node:fs';
import { connection } from 'next/server';
import { openDb, schemaVersion, type Db } from '../../db/open';
import { getConfig } from './config';

export type DbHandle =
  | { state: 'ok'; db: Db; path: string }
  | { state: 'missing'; path: string; reason: string }
  | { state: 'empty'; path: string };

let cached: { path: string; ino: number; db: Db } | null = null;

/** openStore returns the read-only store, or why there is none (no file yet, not migrated, unreadable). */
export function openStore(): DbHandle {
  const path = getConfig().dbPath;
  if (!existsSync(path)) {
    return { state: 'missing', path, reason: `There is no database at ${path} yet.` };
  }
  try {
    const ino = statSync(path).ino;
    if (!cached || cached.path !== path || cached.ino !== ino) {
      cached?.db.close();
      cached = null;
      cached = { path, ino, db: openDb(path, { readonly: true }) };
    }
    if (schemaVersion(cached.db) === 0) return { state: 'empty', path };
    return { state: 'ok', db: cached.db, path };
  } catch (err) {
    cached = null;
    return { state: 'missing', path, reason: err instanceof Error ? err.message : String(err) };
  }
}

/** readStore is openStore for pages and route handlers: it marks the request dynamic (never prerendered). */
export async function readStore(): Promise<DbHandle> {
  await connection();
  return openStore();
}

/** withWritableStore runs one synchronous write on a fresh read-write connection and closes it. */
export function withWritableStore<T>(fn: (db: Db) => T): T {
  const path = getConfig().dbPath;
  if (!existsSync(path)) throw new Error(`there is no database at ${path}; start the collector first`);
  const db = openDb(path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/**
 * writeFailureMessage logs why a write failed (server side, with details) and returns a
 * sentence for the user that names no internals.
 */
export function writeFailureMessage(what: string, err: unknown): string {
  console.error(`appnet dashboard: ${what} failed:`, err);
  const busy = err instanceof Error && /SQLITE_BUSY|database is locked/.test(err.message);
  return busy
    ? `Saving failed: the collector is busy writing to the store. Try again in a moment.`
    : `Saving failed: the store could not be written. The dashboard's log has the details.`;
}
