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
  /** Which mechanism counts per app: the BPF program, nft sets, or BPF where it loads (collector/counter-select.ts). */
  readonly counter: CounterChoice;
  /** Appnet's directory on the BPF filesystem, where the program's map and links are pinned. */
  readonly bpfPinDir: string;
  /** Count per-app destinations (false: `--no-destinations`; the store's global setting can also turn them off). */
  readonly destinations: boolean;
  /** Days of destination history kept. */
  readonly destinationsKeepDays: number;
  readonly once: boolean;
}

export const COUNTER_CHOICES = ['auto', 'bpf', 'nft'] as const;
export type CounterChoice = (typeof COUNTER_CHOICES)[number];

export interface CollectorOptions {
  db: string;
  interval?: string | number;
  elementTimeout?: string | number;
  counter?: string;
  /** commander's negated `--no-destinations`: false when given. */
  destinations?: boolean;
  destinationsKeepDays?: string | number;
  once?: boolean;
}

function counterChoice(v: string | undefined): CounterChoice {
  if (v === undefined) return 'auto';
  const c = COUNTER_CHOICES.find((x) => x === v);
  if (!c) throw new Error(`--counter must be one of ${COUNTER_CHOICES.join(', ')}, got '${v}'`);
  return c;
}

function positive(name: string, v: string | number | undefined, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max}, got '${String(v)}'`);
  return n;
}

/** bpfPinDir is appnet's directory on the BPF filesystem (APPNET_BPF_PIN_DIR, else /sys/fs/bpf/appnet). */
export function bpfPinDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.APPNET_BPF_PIN_DIR ?? '/sys/fs/bpf/appnet';
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
    counter: counterChoice(opts.counter),
    bpfPinDir: bpfPinDir(env),
    destinations: opts.destinations !== false,
    destinationsKeepDays: positive('destinations-keep-days', opts.destinationsKeepDays, 90, 1, 3660),
    once: Boolean(opts.once),
  });
}
