/** The dashboard's configuration: the only place app code reads the environment. */

export interface DashboardConfig {
  /** The collector's SQLite store. */
  dbPath: string;
  /** Where cgroup2 is mounted (for listing an app's current processes). */
  cgroupRoot: string;
  /** How often open pages refresh their data. */
  refreshSeconds: number;
  /** A poll older than this means the collector is not running. */
  staleAfterSeconds: number;
}

let cached: DashboardConfig | null = null;

/** getConfig reads the environment once (APPNET_DB, APPNET_CGROUP_ROOT) and freezes the result. */
export function getConfig(): DashboardConfig {
  cached ??= Object.freeze({
    dbPath: process.env.APPNET_DB || '/var/lib/appnet/appnet.db',
    cgroupRoot: process.env.APPNET_CGROUP_ROOT || '/sys/fs/cgroup',
    refreshSeconds: 10,
    staleAfterSeconds: 60,
  });
  return cached;
}
