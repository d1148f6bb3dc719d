import Database from 'better-sqlite3';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { guardStore } from './store-file';

export type Db = Database.Database;

export interface OpenOptions {
  /** Open read-only (dashboard pages). Never migrates. */
  readonly?: boolean;
  /** Apply pending migrations (the collector does; the dashboard does not). */
  migrate?: boolean;
  /** Directory holding NNN-name.sql files; defaults to db/migrations beside this file. */
  migrationsDir?: string;
}

/** DbOpenError says which database could not be opened and why, in one sentence. */
export class DbOpenError extends Error {
  constructor(path: string, reason: string) {
    super(`cannot open the appnet database ${path}: ${reason}`);
    this.name = 'DbOpenError';
  }
}

const DEFAULT_MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/**
 * openDb is the one place that constructs a Database. WAL with synchronous=NORMAL:
 * a crashed process loses nothing committed; a power cut may lose the last
 * transactions, which is safe because counter state is stored in the same
 * transaction as the usage it produced (the next poll recounts from the older state).
 */
export function openDb(path: string, opts: OpenOptions = {}): Db {
  if (opts.readonly && !existsSync(path)) throw new DbOpenError(path, 'the file does not exist (has the collector run yet?)');
  // Root, and any writer, opens only a store nobody else can swap (db/store-file.ts);
  // a missing store file is created there, so SQLite never creates one itself.
  const inMemory = path === ':memory:' || path === '';
  if (!inMemory && (!opts.readonly || process.geteuid?.() === 0)) guardStore(path, { writable: !opts.readonly });
  let db: Db;
  try {
    db = new Database(path, { readonly: Boolean(opts.readonly), fileMustExist: Boolean(opts.readonly) });
    db.pragma('busy_timeout = 5000');
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    // The writer checks the whole file (about 1 s per 100 MB); a reader only needs the
    // header and schema to be readable: the dashboard opens on its first request, and a
    // damaged page still fails that read with SQLITE_CORRUPT.
    if (opts.readonly) db.prepare('SELECT count(*) FROM sqlite_master').get();
    else {
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`integrity check failed: ${String(check)}`);
    }
  } catch (err) {
    throw new DbOpenError(path, err instanceof Error ? err.message : String(err));
  }
  if (opts.migrate) migrate(db, opts.migrationsDir ?? DEFAULT_MIGRATIONS);
  return db;
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** loadMigrations reads NNN-name.sql files in version order. */
export function loadMigrations(dir: string = DEFAULT_MIGRATIONS): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}-[a-z0-9-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f.slice(4, -4), sql: readFileSync(join(dir, f), 'utf8') }));
}

/** schemaVersion returns PRAGMA user_version. */
export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * hasTable tells whether the store has a table now: a store the collector has not migrated yet
 * lacks the newer ones, and its readers must not ask for them. The one schema probe.
 */
export function hasTable(db: Db, name: string): boolean {
  return prepared(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** latestSchemaVersion is the version a fully migrated database has. */
export function latestSchemaVersion(dir: string = DEFAULT_MIGRATIONS): number {
  const all = loadMigrations(dir);
  return all.length ? all[all.length - 1].version : 0;
}

/**
 * migrate applies each pending migration in its own transaction together with the
 * user_version bump, so an interrupted upgrade resumes at the step that did not commit.
 */
export function migrate(db: Db, dir: string = DEFAULT_MIGRATIONS): number {
  const current = schemaVersion(db);
  for (const m of loadMigrations(dir)) {
    if (m.version <= current) continue;
    const step = db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    });
    try {
      step();
    } catch (err) {
      throw new Error(`migration ${m.version}-${m.name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return schemaVersion(db);
}

const cache = new WeakMap<Db, Map<string, Database.Statement>>();

/**
 * prepared returns the connection's prepared statement for sql, preparing it once:
 * statements run once per element per poll are otherwise re-compiled every time.
 */
export function prepared(db: Db, sql: string): Database.Statement {
  let m = cache.get(db);
  if (!m) cache.set(db, (m = new Map()));
  let st = m.get(sql);
  if (!st) m.set(sql, (st = db.prepare(sql)));
  return st;
}
