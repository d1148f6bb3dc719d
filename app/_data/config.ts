/** The dashboard's configuration: the only place app code reads the environment. */
import { DB_ENV, DEFAULT_DB } from '../../lib/store-path';

export interface DashboardConfig {
  /** The collector's SQLite store. */
  dbPath: string;
  /** Where cgroup2 is mounted (for listing an app's current processes). */
  cgroupRoot: string;
  /** How often open pages refresh their data. */
  refreshSeconds: number;
  /** A poll older than this means the collector is not running. */
  staleAfterSeconds: number;
  /** Serving `appnet demo`'s store: its collector ends with the demo, and `appnet start` is not how to get it back. */
  demo: boolean;
}

let cached: DashboardConfig | null = null;

/** getConfig reads the environment once (APPNET_DB, APPNET_CGROUP_ROOT, APPNET_DEMO) and freezes the result. */
export function getConfig(): DashboardConfig {
  cached ??= Object.freeze({
    dbPath: process.env[DB_ENV] || DEFAULT_DB,
    cgroupRoot: process.env.APPNET_CGROUP_ROOT || '/sys/fs/cgroup',
    refreshSeconds: 10,
    staleAfterSeconds: 60,
    demo: process.env.APPNET_DEMO === '1',
  });
  return cached;
}
