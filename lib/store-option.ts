/** The one `--db` option (lib/store-path.ts says where the store is); commander resolves it and prints both defaults in the help. */
import { Option } from 'commander';
import { DB_ENV, DEFAULT_DB } from './store-path';

/** dbOption is the `--db <path>` option of every command that opens the store. */
export function dbOption(): Option {
  return new Option('--db <path>', 'SQLite store').env(DB_ENV).default(DEFAULT_DB);
}
