/**
 * Where the store is: `--db PATH` (lib/store-option.ts, for every command that opens it), else
 * $APPNET_DB, else the system-wide default. The dashboard's pages get the resolved path from
 * `appnet serve` in APPNET_DB (server/start.ts → app/_data/config.ts).
 */

/** DEFAULT_DB is where a system-wide install keeps its store. */
export const DEFAULT_DB = '/var/lib/appnet/appnet.db';

/** DB_ENV names the environment variable that moves the store. */
export const DB_ENV = 'APPNET_DB';
