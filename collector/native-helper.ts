/**
 * A long-running native helper (collector/native): one process answers request after request
 * on its stdin/stdout, so a poll starts no process. Requests are serialised; an answer ends
 * with a line starting with `end`. A helper that dies or does not answer in time is killed
 * and started again at the next request: at once when it had answered before (a crash, an
 * OOM kill), otherwise after a back-off that doubles with each start that failed (1 s up to
 * a minute), so a helper that cannot start is not started again at every poll. Started with a
 * fixed argument vector, never through a shell.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/** isComplete tells whether a response ends with its `end` record. */
function isComplete(buf: string): boolean {
  if (!buf.endsWith('\n')) return false;
  return buf.startsWith('end', buf.lastIndexOf('\n', buf.length - 2) + 1);
}

export interface HelperOptions {
  /** No answer within this many ms: the helper is killed. */
  timeoutMs?: number;
  /**
   * The helper answers once by itself when it starts (bpfcount's `ready`): that answer goes
   * here, and a throw from it fails the request that started the helper.
   */
  onGreeting?: (text: string) => void;
  /** The helper ended by itself (it was not closed), once per end; see HelperEnd. */
  onExit?: (end: HelperEnd) => void;
}

/** One end of a helper that was not asked to end. */
export interface HelperEnd {
  /** Why, in a few words ('killed by SIGKILL', 'exited with status 1: …'). */
  why: string;
  /** It had answered a request: it ran (a crash), rather than failing to start. */
  ran: boolean;
  /** When it will be started again at the earliest, unix ms (0: at the next request). */
  retryAt: number;
}

/** The longest wait before starting a helper again after failed starts. */
const MAX_BACKOFF_MS = 60_000;

/** HelperServer keeps one helper running and asks it one line per request; see the file comment. */
export class HelperServer {
  private child: ChildProcessWithoutNullStreams | null = null;
  private buf = '';
  private stderr = '';
  private pending: { resolve: (s: string) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timeoutMs: number;
  /** The running helper has answered a request (then a crash is restarted at once). */
  private answered = false;
  /** Starts in a row that ended before the helper answered anything. */
  private failed = 0;
  /** Not started again before this time (unix ms) after a failed start. */
  private retryAt = 0;
  private lastEnd = '';

  constructor(
    private readonly bin: string,
    private readonly args: readonly string[],
    private readonly opts: HelperOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** request sends one line and returns the complete answer. */
  request(line: string): Promise<string> {
    const run = this.queue.then(async () => {
      if (this.child === null) {
        const wait = this.retryAt - Date.now();
        if (wait > 0) throw new Error(`${this.bin} could not be started ${this.failed} times in a row (${this.lastEnd}); next try in ${Math.ceil(wait / 1000)} s`);
        this.child = this.start();
        if (this.opts.onGreeting) {
          const hello = await this.answer(null);
          try {
            this.opts.onGreeting(hello);
          } catch (err) {
            // Not yet booked as ended when it is still ours (it may exit by itself right after its error).
            const ours = this.child !== null;
            this.close();
            if (ours) this.ended(err instanceof Error ? err.message : String(err));
            throw err;
          }
        }
      }
      const text = await this.answer(line);
      this.answered = true;
      this.failed = 0;
      return text;
    });
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
    const child = spawn(this.bin, [...this.args], { stdio: ['pipe', 'pipe', 'pipe'] });
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
    this.answered = false;
    const gone = (why: string) => {
      const said = (this.stderr.trim() || this.buf.trim()).slice(0, 300);
      const reason = said ? `${why}: ${said}` : why;
      if (this.child === child) {
        this.child = null;
        this.ended(reason);
      }
      this.settle(new Error(`${this.bin}: ${reason}`));
    };
    child.on('error', (err) => gone(err.message));
    // 'close', not 'exit': its last words on stderr are read by then.
    child.on('close', (code, signal) => gone(signal ? `killed by ${signal}` : `exited with status ${code}`));
    child.stdin.on('error', () => undefined); // EPIPE after it died: 'close' reports it
    child.unref();
    return child;
  }

  /** ended books an end the helper was not asked for: a start that never answered sets the next back-off. */
  private ended(why: string): void {
    this.lastEnd = why;
    if (this.answered) {
      this.failed = 0;
      this.retryAt = 0;
    } else {
      this.failed++;
      this.retryAt = Date.now() + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.failed - 1));
    }
    this.opts.onExit?.({ why, ran: this.answered, retryAt: this.retryAt });
  }

  /** failedStarts is how many starts in a row ended before the helper answered. */
  get failedStarts(): number {
    return this.failed;
  }

  /** answer writes the line (none: wait for the greeting) and waits for the complete answer. */
  private answer(line: string | null): Promise<string> {
    const child = this.child;
    if (child === null) return Promise.reject(new Error(`${this.bin}: ${this.stderr.trim() || 'not running'}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const why = `no answer within ${this.timeoutMs} ms`;
        const ours = this.child === child;
        this.settle(new Error(`${this.bin}: ${why}`));
        this.close();
        if (ours) this.ended(why);
      }, this.timeoutMs);
      this.pending = { resolve, reject, timer };
      if (line !== null) child.stdin.write(`${line}\n`);
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
