/**
 * The hand-over between the server and the report routes inside Next.js: reports are read
 * and rendered on a worker thread (server/report-pool.ts), so a long one never holds up the
 * request thread. The server registers its runner on globalThis, as it does the auth gate.
 */
import type { ApiErrorCode } from './api-error';
import type { ReportQuery } from './report';

/** One report to read: the validated query, the store, and how to render it. */
export interface ReportJob {
  dbPath: string;
  query: ReportQuery;
  now: number;
  format: 'csv' | 'json';
  /** Row and byte limits (REPORT_LIMITS unless the runner was given others). */
  limits: { rows: number; bytes: number };
}

/** A report's answer: its bounds and a streamed body, or a refusal in the API's words. */
export type ReportOutcome =
  | { ok: true; since: number; until: number; body: ReadableStream<Uint8Array> }
  | { ok: false; status: 400 | 413 | 500 | 503; code: ApiErrorCode; message: string };

export interface ReportRunner {
  /** run starts the job (or queues it); aborting the signal (the client left) stops it. */
  run(job: Omit<ReportJob, 'limits'>, signal: AbortSignal): Promise<ReportOutcome>;
}

const RUNNER_KEY = Symbol.for('appnet.reportRunner.v1');

/** registerReportRunner installs the process-wide runner (the server, before it listens). */
export function registerReportRunner(runner: ReportRunner): void {
  (globalThis as Record<symbol, unknown>)[RUNNER_KEY] = Object.freeze(runner);
}

/** registeredReportRunner returns the runner the server installed, or null. */
export function registeredReportRunner(): ReportRunner | null {
  const r = (globalThis as Record<symbol, unknown>)[RUNNER_KEY];
  return r && typeof r === 'object' && typeof (r as ReportRunner).run === 'function' ? (r as ReportRunner) : null;
}
