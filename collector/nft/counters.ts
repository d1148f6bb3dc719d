/**
 * Reading our table's counters each poll. The fast way is collector/native/nftdump (a
 * netlink dump: milliseconds at 10,000 elements, ids never resolved to paths), kept
 * running so a poll starts no process; the fallback is `nft -j list table` in the
 * numeric listing namespace (collector/nft/numeric.ts), used when the helper is not built
 * or fails. Both are started with fixed argument vectors, never through a shell.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseNftDump } from '../../lib/nft/dump';
import { parseFirewallCounters, type FirewallCounters } from '../../lib/nft/firewall-parse';
import { COUNTER_SETS, TABLE_FAMILY, TABLE_NAME } from '../../lib/nft/names';
import { parseTableSnapshot, type TableSnapshot } from '../../lib/nft/parse';
import { nftRunner, type NftRunner } from './exec';
import { openNumericNs, type NumericNs } from './numeric';

/** Where scripts/ensure-deps.sh builds the helper. */
export const NFTDUMP_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'native', 'out', 'nftdump');

/** One reading of our table. */
export interface TableCounters {
  snapshot: TableSnapshot;
  firewall: FirewallCounters;
  via: 'netlink' | 'json';
}

export interface CounterReader {
  /** Reads the counters; null when our table does not exist. */
  read(): Promise<TableCounters | null>;
  /** Ends the helper and releases the listing namespace, if the fallback opened one. */
  close(): Promise<void>;
}

const HELPER_ARGS = ['-f', TABLE_FAMILY, TABLE_NAME, ...COUNTER_SETS];

/** isComplete tells whether a response ends with its `end` record. */
function isComplete(buf: string): boolean {
  if (!buf.endsWith('\n')) return false;
  return buf.startsWith('end ', buf.lastIndexOf('\n', buf.length - 2) + 1);
}

/**
 * NftdumpServer keeps one `nftdump --serve` running and asks it for a dump per call
 * (one line on its stdin); calls are serialised. A helper that dies or does not answer
 * in time is killed and started again at the next call.
 */
export class NftdumpServer {
  private child: ChildProcessWithoutNullStreams | null = null;
  private buf = '';
  private stderr = '';
  private pending: { resolve: (s: string) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly bin: string, private readonly timeoutMs = 10_000) {}

  /** dump returns one complete dump of our table. */
  dump(): Promise<string> {
    const run = this.queue.then(() => this.ask());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private settle(err: Error | null, text = ''): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(text);
  }

  private start(): ChildProcessWithoutNullStreams {
    const child = spawn(this.bin, ['--serve', ...HELPER_ARGS], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.buf = '';
    this.stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      this.buf += chunk;
      if (!isComplete(this.buf)) return;
      const text = this.buf;
      this.buf = '';
      this.settle(null, text);
    });
    child.stderr.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-2000);
    });
    const gone = (why: string) => {
      if (this.child === child) this.child = null;
      this.settle(new Error(`${this.bin}: ${this.stderr.trim() || why}`));
    };
    child.on('error', (err) => gone(err.message));
    child.on('exit', (code, signal) => gone(`exited (${code ?? signal})`));
    child.stdin.on('error', () => undefined); // EPIPE after it died: 'exit' reports it
    child.unref();
    return child;
  }

  private ask(): Promise<string> {
    const child = (this.child ??= this.start());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(new Error(`${this.bin}: no answer within ${this.timeoutMs} ms`));
        this.close();
      }, this.timeoutMs);
      this.pending = { resolve, reject, timer };
      child.stdin.write('\n');
    });
  }

  /** close ends the helper (it also exits by itself when our end of its stdin closes). */
  close(): void {
    const c = this.child;
    this.child = null;
    if (!c) return;
    c.stdin.end();
    c.kill();
  }
}

/** readNetlink reads the counters through the running helper. */
async function readNetlink(server: NftdumpServer): Promise<TableCounters | null> {
  const d = parseNftDump(await server.dump());
  return d && { ...d, via: 'netlink' };
}

/** readJson reads the counters from nft's JSON listing. */
async function readJson(nft: NftRunner): Promise<TableCounters | null> {
  const text = await nft.listTable();
  if (text === null) return null;
  return { snapshot: parseTableSnapshot(text), firewall: parseFirewallCounters(text), via: 'json' };
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface CounterReaderOptions {
  /** The helper; null or missing means the JSON listing from the start. */
  nftdumpBin: string | null;
  nftBin: string;
  /** Where the fallback's listing namespace lives (/run/appnet). */
  runDir: string;
  log: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

/** After this many failures in a row the helper is left alone for good. */
const MAX_HELPER_FAILURES = 3;

/**
 * counterReader reads over netlink while the helper works and falls back to the JSON
 * listing otherwise (a failing poll is retried with JSON at once). Each reason for falling
 * back is logged once; the listing namespace is opened only when JSON is first needed.
 */
export function counterReader(opts: CounterReaderOptions): CounterReader {
  let helper = opts.nftdumpBin !== null && executable(opts.nftdumpBin) ? new NftdumpServer(opts.nftdumpBin) : null;
  if (helper === null) opts.log('warn', `listing counters with nft -j (slower): the netlink helper ${opts.nftdumpBin ?? ''} is not built (scripts/ensure-deps.sh builds it)`);
  let failures = 0;
  const logged = new Set<string>();
  let ns: NumericNs | null = null;
  let nft: Promise<NftRunner> | null = null;
  const jsonRunner = () =>
    (nft ??= openNumericNs(opts.runDir).then(
      (n) => {
        ns = n;
        return nftRunner({ bin: opts.nftBin, numericNs: n.file });
      },
      (err: unknown) => {
        opts.log('warn', `listing counters the slow way (nft resolves every cgroup path itself): ${err instanceof Error ? err.message : String(err)}`);
        return nftRunner({ bin: opts.nftBin });
      },
    ));
  return {
    async read() {
      if (helper !== null) {
        try {
          const r = await readNetlink(helper);
          failures = 0;
          return r;
        } catch (err) {
          const msg = err instanceof Error ? err.message : String(err);
          if (++failures >= MAX_HELPER_FAILURES) {
            opts.log('error', `the netlink counter helper failed ${failures} times in a row, listing with nft -j from now on: ${msg}`);
            helper.close();
            helper = null;
          } else if (!logged.has(msg)) {
            logged.add(msg);
            opts.log('warn', `the netlink counter helper failed, listed with nft -j instead: ${msg}`);
          }
        }
      }
      return readJson(await jsonRunner());
    },
    async close() {
      helper?.close();
      await ns?.close();
    },
  };
}
