/**
 * One usage report on a worker thread (started by server/report-pool.ts): its own read-only
 * connection, the rows, then the CSV in chunks or the JSON whole, each message posted as it
 * is ready. Over the row or byte limit it answers with a refusal instead.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDb } from '../db/open';
import { getReport } from '../db/queries/report';
import type { ApiErrorCode } from '../lib/api-error';
import type { ReportJob } from '../lib/report-runner';
import { reportCsvChunks, reportJson } from '../lib/report';

/** Messages from the worker, in order: meta, then chunks, then end; or one refusal. */
export type WorkerMessage =
  | { type: 'meta'; since: number; until: number }
  | { type: 'chunk'; text: string }
  | { type: 'end' }
  | { type: 'refused'; status: 400 | 413 | 500; code: ApiErrorCode; message: string };

const post = (m: WorkerMessage): void => parentPort!.postMessage(m);
const tooLarge = (what: string): WorkerMessage => ({
  type: 'refused', status: 413, code: 'too_large',
  message: `The report is too large (${what}). Choose a shorter period, fewer interfaces, or by=app instead of by=app,day.`,
});

function main(job: ReportJob): void {
  const limits = job.limits;
  const db = openDb(job.dbPath, { readonly: true });
  try {
    let report;
    try {
      report = getReport(db, job.query, job.now);
    } catch (err) {
      if (err instanceof RangeError) return post({ type: 'refused', status: 400, code: 'bad_request', message: err.message });
      throw err;
    }
    if (report.rows.length > limits.rows) return post(tooLarge(`${report.rows.length} rows, at most ${limits.rows}`));
    const q = job.query;
    if (job.format === 'json') {
      const text = JSON.stringify(reportJson(report.rows, { since: report.since, until: report.until, by: q.by, now: job.now, iface: q.iface, network: q.network, metered: q.metered }));
      if (Buffer.byteLength(text) > limits.bytes) return post(tooLarge(`over ${limits.bytes} bytes`));
      post({ type: 'meta', since: report.since, until: report.until });
      post({ type: 'chunk', text });
      return post({ type: 'end' });
    }
    post({ type: 'meta', since: report.since, until: report.until });
    let bytes = 0;
    for (const text of reportCsvChunks(report.rows, q.by)) {
      bytes += Buffer.byteLength(text);
      // Rows are capped above; this is the backstop for very long names. The body is cut short.
      if (bytes > limits.bytes) return post(tooLarge(`over ${limits.bytes} bytes`));
      post({ type: 'chunk', text });
    }
    post({ type: 'end' });
  } finally {
    db.close();
  }
}

try {
  main(workerData as ReportJob);
} catch (err) {
  post({ type: 'refused', status: 500, code: 'internal', message: `Reading the usage report failed: ${err instanceof Error ? err.message : String(err)}` });
}
