/**
 * The report runner the server registers for the report routes (lib/report-runner.ts): each
 * report runs on a worker thread of its own, at most `workers` at a time, with a memory
 * limit and a time limit; a few more wait, the rest are told the dashboard is busy. The
 * request thread only passes chunks on, so pages and /api/status answer meanwhile.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { REPORT_LIMITS } from '../lib/report';
import type { ReportJob, ReportOutcome, ReportRunner } from '../lib/report-runner';
import { CLI_BUILD, cliBuildStale } from '../scripts/cli-build-state.mjs';
import type { WorkerMessage } from './report-worker';

export interface PoolOptions {
  /** Reports read at the same time (the machine's cores are shared with the collector). */
  workers: number;
  /** Reports that may wait for a worker; more are refused with 503. */
  queue: number;
  /** A report still running after this long is stopped (503). */
  timeoutMs: number;
  /** Heap limit of one worker: an oversized report ends that worker, not the server. */
  memoryMb: number;
  /** Rows and bytes one report may have (lib/report.ts REPORT_LIMITS). */
  limits: { rows: number; bytes: number };
}

const DEFAULTS: PoolOptions = { workers: 2, queue: 8, timeoutMs: 60_000, memoryMb: 256, limits: REPORT_LIMITS };

/** workerFile is the compiled worker when the command line build is current, else the tsx shim. */
function workerFile(): string {
  const compiled = join(CLI_BUILD, 'report-worker.mjs');
  return existsSync(compiled) && cliBuildStale() === null ? compiled : fileURLToPath(new URL('./report-worker.mjs', import.meta.url));
}

type Refusal = Extract<ReportOutcome, { ok: false }>;
const busy = (message: string): Refusal => ({ ok: false, status: 503, code: 'unavailable', message });

/** runOne runs one job on a fresh worker; `done` is called once the worker has exited. */
function runOne(job: ReportJob, signal: AbortSignal, opts: PoolOptions, done: () => void): Promise<ReportOutcome> {
  const worker = new Worker(workerFile(), { workerData: job, resourceLimits: { maxOldGenerationSizeMb: opts.memoryMb } });
  const encoder = new TextEncoder();
  let controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  let settled = false;
  let finished = false;
  return new Promise<ReportOutcome>((resolve) => {
    const fail = (outcome: Refusal): void => {
      if (!settled) {
        settled = true;
        resolve(outcome);
      } else if (controller && !finished) {
        finished = true;
        controller.error(new Error(outcome.message));
      }
      void worker.terminate();
    };
    const timer = setTimeout(() => fail(busy(`The report took longer than ${opts.timeoutMs / 1000} s and was stopped. Choose a shorter period.`)), opts.timeoutMs);
    const onAbort = (): void => fail(busy('The request was cancelled.'));
    signal.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'refused') return fail({ ok: false, status: m.status, code: m.code, message: m.message });
      if (m.type === 'meta') {
        settled = true;
        const body = new ReadableStream<Uint8Array>({
          start: (c) => {
            controller = c;
          },
          cancel: () => {
            finished = true;
            void worker.terminate();
          },
        });
        return resolve({ ok: true, since: m.since, until: m.until, body });
      }
      if (finished || !controller) return;
      if (m.type === 'chunk') controller.enqueue(encoder.encode(m.text));
      else {
        finished = true;
        controller.close();
      }
    });
    worker.on('error', (err) => fail({ ok: false, status: 500, code: 'internal', message: `Reading the usage report failed: ${err.message}` }));
    worker.on('exit', () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      fail({ ok: false, status: 500, code: 'internal', message: 'The report stopped before it was complete.' });
      done();
    });
  });
}

/** createReportPool returns a runner with at most `workers` reports at once and `queue` waiting. */
export function createReportPool(options: Partial<PoolOptions> = {}): ReportRunner {
  const opts = { ...DEFAULTS, ...options };
  let active = 0;
  const waiting: Array<() => void> = [];
  const release = (): void => {
    active--;
    waiting.shift()?.();
  };
  return {
    async run(job, signal) {
      if (active >= opts.workers) {
        if (waiting.length >= opts.queue) return busy('The dashboard is busy with other reports. Try again in a moment.');
        await new Promise<void>((go) => waiting.push(go));
      }
      if (signal.aborted) {
        waiting.shift()?.();
        return busy('The request was cancelled.');
      }
      active++;
      return runOne({ ...job, limits: opts.limits }, signal, opts, release);
    },
  };
}
