import { execFile } from 'node:child_process';
import { TABLE_FAMILY, TABLE_NAME } from '../../lib/nft/names';

/** The only place that spawns nft: execFile (no shell), bounded time and output. */
export interface NftRunner {
  /** Applies a batch of nft commands atomically (`nft -f -`): all or nothing. */
  apply(commands: string[]): Promise<void>;
  /** Lists our table as JSON text, or null when the table does not exist. */
  listTable(): Promise<string | null>;
  /** Runs nft with fixed arguments and returns stdout. */
  run(args: string[], input?: string): Promise<string>;
}

/** NftError carries the command that failed and nft's own message. */
export class NftError extends Error {
  constructor(what: string, public readonly stderr: string, public readonly code: number | string | null) {
    super(`nft ${what} failed: ${stderr.trim().split('\n').slice(0, 6).join(' | ') || `exit ${String(code)}`}`);
    this.name = 'NftError';
  }
}

export interface RunnerOptions {
  bin?: string;
  timeoutMs?: number;
  /**
   * A mount namespace (a bound nsfs file) whose /sys/fs/cgroup is empty, to list our
   * table in: nft 1.0.6 turns every cgroup id it prints into a path by walking the
   * whole cgroup tree, once per element; where it finds nothing it prints the id, which
   * is what the collector wants anyway. See collector/nft/numeric.ts.
   */
  numericNs?: string | null;
}

/** nftRunner returns a runner for the given nft binary. */
export function nftRunner(opts: RunnerOptions = {}): NftRunner {
  const bin = opts.bin ?? 'nft';
  const timeout = opts.timeoutMs ?? 10_000;
  const exec = (file: string, args: string[], input?: string) =>
    new Promise<string>((resolve, reject) => {
      const child = execFile(file, args, { timeout, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err) {
          const e = err as NodeJS.ErrnoException & { code?: number | string };
          if (e.code === 'ENOENT') return reject(new NftError(args.join(' '), `${file} was not found: install the nftables package`, 'ENOENT'));
          return reject(new NftError(args.filter((a) => !a.startsWith('--mount=')).slice(0, 5).join(' '), stderr || e.message, e.code ?? null));
        }
        resolve(stdout);
      });
      if (input !== undefined) child.stdin?.end(input);
    });
  const run = (args: string[], input?: string) => exec(bin, args, input);
  const list = ['-j', 'list', 'table', TABLE_FAMILY, TABLE_NAME];
  return {
    run,
    async apply(commands) {
      if (commands.length === 0) return;
      await run(['-f', '-'], commands.join('\n') + '\n');
    },
    async listTable() {
      try {
        return opts.numericNs ? await exec('nsenter', [`--mount=${opts.numericNs}`, '--', bin, ...list]) : await run(list);
      } catch (err) {
        if (err instanceof NftError && /No such file or directory/.test(err.stderr)) return null;
        throw err;
      }
    },
  };
}
