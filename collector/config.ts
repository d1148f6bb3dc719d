/**
 * Collector configuration: read once from options and the environment, then frozen.
 * The store's path comes resolved from the command line (lib/store-option.ts).
 */
export interface CollectorConfig {
  readonly dbPath: string;
  readonly intervalSec: number;
  /** Root of the cgroup v2 tree as nft resolves paths: /sys/fs/cgroup. */
  readonly cgroupRoot: string;
  readonly sysClassNet: string;
  readonly nftBin: string;
  /** Where the collector keeps runtime state (the listing namespace): /run/appnet. */
  readonly runDir: string;
  /** Idle seconds after which the kernel drops a (cgroup, interface) counter. */
  readonly elementTimeoutSec: number;
  readonly once: boolean;
}

export interface CollectorOptions {
  db: string;
  interval?: string | number;
  elementTimeout?: string | number;
  once?: boolean;
}

function positive(name: string, v: string | number | undefined, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max}, got '${String(v)}'`);
  return n;
}

/** loadConfig builds the frozen collector configuration from command-line options and env. */
export function loadConfig(opts: CollectorOptions, env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  const intervalSec = positive('interval', opts.interval, 5, 0.2, 3600);
  return Object.freeze({
    dbPath: opts.db,
    intervalSec,
    cgroupRoot: env.APPNET_CGROUP_ROOT ?? '/sys/fs/cgroup',
    sysClassNet: env.APPNET_SYS_CLASS_NET ?? '/sys/class/net',
    nftBin: env.APPNET_NFT ?? 'nft',
    runDir: env.APPNET_RUN_DIR ?? '/run/appnet',
    elementTimeoutSec: positive('element-timeout', opts.elementTimeout, 600, Math.max(10, intervalSec * 4), 86400),
    once: Boolean(opts.once),
  });
}
