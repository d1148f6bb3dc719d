/**
 * Host names for destinations: the DNS answers the machine received, logged by our nft table
 * (`udp sport 53 log group DNS_LOG_GROUP`) and read over NFLOG by collector/native/dnslog, kept
 * running. Names are gathered as answers arrive and taken by the poll. Nothing is ever looked
 * up: an address no answer named stays an address.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { DNS_LOG_GROUP } from '../../lib/nft/names';
import { parseDnslogLine, type DnsName } from '../../lib/dns';

/** Where scripts/ensure-deps.sh builds the reader. */
export const DNSLOG_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'native', 'out', 'dnslog');

/** Names held between polls, at most (a flood of answers must not grow the collector). */
const MAX_PENDING = 20_000;

/** DnsNameSource runs dnslog and gathers the names it reports; see the file comment. */
export class DnsNameSource {
  private child: ChildProcessWithoutNullStreams | null = null;
  private pending = new Map<string, DnsName & { at: number }>();
  private stderr = '';
  /** Answers the kernel dropped (its queue overflowed) or that did not fit MAX_PENDING. */
  lost = 0;

  constructor(
    private readonly log: (level: 'info' | 'warn' | 'error', msg: string) => void,
    private readonly bin = DNSLOG_BIN,
  ) {}

  /** available tells whether the reader is built. */
  get available(): boolean {
    return existsSync(this.bin);
  }

  /** start runs dnslog (again, after it ended); does nothing while it runs or when it is not built. */
  start(): void {
    if (this.child || !this.available) return;
    const child = spawn(this.bin, [String(DNS_LOG_GROUP)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => (this.stderr = (this.stderr + c).slice(-1000)));
    child.stdin.on('error', () => undefined);
    child.on('error', () => undefined);
    child.on('exit', (code, signal) => {
      const mine = this.child === child;
      if (mine) this.child = null;
      // Killed (a crash, the OOM killer) it is started again at the next poll, like an error exit; closed by us it is not.
      if (mine && (code || signal)) this.log('warn', `dnslog ended (${signal ?? `status ${code}`}): ${this.stderr.trim() || 'no message'}; host names are not learned until it runs again at the next poll`);
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

  /** close ends dnslog. */
  close(): void {
    const c = this.child;
    this.child = null;
    c?.stdin.end();
    c?.kill();
  }
}
