/**
 * Reading our table's counters each poll. The fast way is collector/native/nftdump (a
 * netlink dump: milliseconds at 10,000 elements, ids never resolved to paths), kept
 * running so a poll starts no process; the fallback is `nft -j list table` in the
 * numeric listing namespace (collector/nft/numeric.ts), used when the helper is not built
 * or fails. Both are started with fixed argument vectors, never through a shell.
 */
import { accessSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseNftDump } from '../../lib/nft/dump';
import { parseFirewallCounters, type FirewallCounters } from '../../lib/nft/firewall-parse';
import { COUNTER_SETS, DEST_SETS, TABLE_FAMILY, TABLE_NAME } from '../../lib/nft/names';
import { parseTableSnapshot, type TableSnapshot } from '../../lib/nft/parse';
import { HelperServer } from '../native-helper';
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

/** Our table, its counter sets and (read first) its destination sets. */
export const HELPER_ARGS = ['-f', TABLE_FAMILY, TABLE_NAME, ...COUNTER_SETS, '--dests', ...DEST_SETS.map((s) => s.name)];

/**
 * NftdumpServer keeps one `nftdump --serve` running and asks it for a dump per call.
 */
export class NftdumpServer {
  private readonly helper: HelperServer;

  constructor(bin: string, timeoutMs = 10_000) {
    this.helper = new HelperServer(bin, ['--serve', ...HELPER_ARGS], { timeoutMs });
  }

  /** dump returns one complete dump of our table. */
  dump(): Promise<string> {
    return this.helper.request('');
  }

  /** close ends the helper. */
  close(): void {
    this.helper.close();
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
          } else if (failures === 1) {
            // Once per run of failures: the helper's restarts word each failure anew (with its back-off).
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
