/**
 * Host names for destinations: the DNS answers the machine received, from one of two feeds,
 * read by a helper kept running that prints each answer's packet (both in the same protocol,
 * lib/dns.ts):
 *  - the BPF counter's program copies them to a ring buffer pinned in its pin directory, read
 *    by collector/native/dnsring: no nft rule needed (issue 15), used when the program counts;
 *  - our nft table logs them (`udp sport 53 log group DNS_LOG_GROUP`), read over NFLOG by
 *    collector/native/dnslog: with the nft counter, or when dnsring is not built.
 * Names are gathered as answers arrive and taken by the poll. Nothing is ever looked up: an
 * address no answer named stays an address.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { DNS_LOG_GROUP } from '../../lib/nft/names';
import { parseDnslogLine, type DnsName } from '../../lib/dns';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'native', 'out');
/** Where scripts/ensure-deps.sh builds the readers. */
export const DNSLOG_BIN = join(OUT, 'dnslog');
export const DNSRING_BIN = join(OUT, 'dnsring');

/** Which feed a DnsNameSource reads: the program's ring when given its pin directory and dnsring is built, else NFLOG. */
export interface DnsFeedOptions {
  /** The BPF counter's pin directory when the program counts: its DNS ring is read there (if dnsring is built). */
  programPinDir?: string | null;
  dnslogBin?: string;
  dnsringBin?: string;
}

/** Names held between polls, at most (a flood of answers must not grow the collector). */
const MAX_PENDING = 20_000;

/** DnsNameSource runs the reader of its feed and gathers the names it reports; see the file comment. */
export class DnsNameSource {
  private child: ChildProcessWithoutNullStreams | null = null;
  private pending = new Map<string, DnsName & { at: number }>();
  private stderr = '';
  /**
   * Losses: answers the program found its ring full for (one each), overflows of dnslog's
   * NFLOG queue (one per overflow, of unknown size), names that did not fit MAX_PENDING.
   */
  lost = 0;
  private lostTaken = 0;
  /** Whether the answers come from the BPF program's ring (true) or from our nft table's log rule (false); fixed at construction. */
  readonly fromProgram: boolean;
  private readonly bin: string;
  private readonly args: string[];

  constructor(
    private readonly log: (level: 'info' | 'warn' | 'error', msg: string) => void,
    opts: DnsFeedOptions = {},
  ) {
    const ring = opts.dnsringBin ?? DNSRING_BIN;
    this.fromProgram = !!opts.programPinDir && existsSync(ring);
    this.bin = this.fromProgram ? ring : (opts.dnslogBin ?? DNSLOG_BIN);
    this.args = this.fromProgram ? [opts.programPinDir!] : [String(DNS_LOG_GROUP)];
  }

  /** available tells whether the reader is built. */
  get available(): boolean {
    return existsSync(this.bin);
  }

  /** The reader's name, for messages. */
  private get name(): string {
    return this.fromProgram ? 'dnsring' : 'dnslog';
  }

  /** start runs the reader (again, after it ended); does nothing while it runs or when it is not built. */
  start(): void {
    if (this.child || !this.available) return;
    const child = spawn(this.bin, this.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => (this.stderr = (this.stderr + c).slice(-1000)));
    child.stdin.on('error', () => undefined);
    child.on('error', () => undefined);
    child.on('exit', (code, signal) => {
      const mine = this.child === child;
      if (mine) this.child = null;
      // Killed (a crash, the OOM killer) it is started again at the next poll, like an error exit; closed by us it is not.
      if (mine && (code || signal)) this.log('warn', `${this.name} ended (${signal ?? `status ${code}`}): ${this.stderr.trim() || 'no message'}; host names are not learned until it runs again at the next poll`);
    });
    createInterface({ input: child.stdout }).on('line', (line) => this.onLine(line));
    child.unref();
  }

  private onLine(line: string): void {
    if (line === 'lost') {
      this.lost++;
      return;
    }
    const now = Date.now();
    for (const n of parseDnslogLine(line)) {
      const k = `${n.addr}|${n.name}`;
      if (this.pending.size >= MAX_PENDING && !this.pending.has(k)) {
        this.lost++;
        continue;
      }
      this.pending.set(k, { ...n, at: now });
    }
  }

  /** take returns the names gathered since the last call, with when each was seen (unix ms). */
  take(): Array<DnsName & { at: number }> {
    const out = [...this.pending.values()];
    this.pending = new Map();
    return out;
  }

  /** takeLost returns the losses counted since the last call. */
  takeLost(): number {
    const n = this.lost - this.lostTaken;
    this.lostTaken = this.lost;
    return n;
  }

  /** close ends the reader. */
  close(): void {
    const c = this.child;
    this.child = null;
    c?.stdin.end();
    c?.kill();
  }
}
