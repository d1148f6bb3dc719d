/**
 * A long-running native helper (collector/native): one process answers request after request
 * on its stdin/stdout, so a poll starts no process. Requests are serialised; an answer ends
 * with a line starting with `end`. A helper that dies or does not answer in time is killed
 * and started again at the next request. Started with a fixed argument vector, never through
 * a shell.
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
}

/** HelperServer keeps one helper running and asks it one line per request; see the file comment. */
export class HelperServer {
  private child: ChildProcessWithoutNullStreams | null = null;
  private buf = '';
  private stderr = '';
  private pending: { resolve: (s: string) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timeoutMs: number;

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
        this.child = this.start();
        if (this.opts.onGreeting) {
          const hello = await this.answer(null);
          try {
            this.opts.onGreeting(hello);
          } catch (err) {
            this.close();
            throw err;
          }
        }
      }
      return this.answer(line);
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
    const gone = (why: string) => {
      if (this.child === child) this.child = null;
      this.settle(new Error(`${this.bin}: ${this.stderr.trim() || this.buf.trim() || why}`));
    };
    child.on('error', (err) => gone(err.message));
    child.on('exit', (code, signal) => gone(`exited (${code ?? signal})`));
    child.stdin.on('error', () => undefined); // EPIPE after it died: 'exit' reports it
    child.unref();
    return child;
  }

  /** answer writes the line (none: wait for the greeting) and waits for the complete answer. */
  private answer(line: string | null): Promise<string> {
    const child = this.child;
    if (child === null) return Promise.reject(new Error(`${this.bin}: ${this.stderr.trim() || 'not running'}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(new Error(`${this.bin}: no answer within ${this.timeoutMs} ms`));
        this.close();
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
