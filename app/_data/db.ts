/**
 * The dashboard's connection to the collector's store: one cached read-only handle. The
 * dashboard's account may read the store, never write it; writes go to the collector
 * (app/_data/channel.ts).
 */
import { existsSync, statSync } from 'node:fs';
import { connection } from 'next/server';
import { openDb, schemaVersion, type Db } from '../../db/open';
import { getConfig } from './config';

export type DbHandle =
  | { state: 'ok'; db: Db; path: string }
  | { state: 'missing'; path: string; reason: string }
  | { state: 'empty'; path: string };

let cached: { path: string; ino: number; db: Db } | null = null;

/**
 * A store in WAL mode whose -wal file is gone (its last writer closed it without handing it
 * back to readers, see closeStore) cannot be read by an account that may not create files
 * next to it: say so plainly.
 */
function unreadableReason(path: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/SQLITE_READONLY_DIRECTORY|SQLITE_CANTOPEN|readonly database|unable to open/i.test(`${(err as { code?: string }).code ?? ''} ${message}`) && !existsSync(`${path}-wal`)) {
    return `${message}. The store waits for the collector: start it (appnet start) and this page will show the data.`;
  }
  return message;
}

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
    return { state: 'missing', path, reason: unreadableReason(path, err) };
  }
}

/** readStore is openStore for pages and route handlers: it marks the request dynamic (never prerendered). */
export async function readStore(): Promise<DbHandle> {
  await connection();
  return openStore();
}
