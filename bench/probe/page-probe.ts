/**
 * Runs INSIDE the sandbox (its own loopback): starts the production dashboard on the
 * given store with the e2e helpers (`appnet serve`), logs in once, then loads the
 * overview `reps` times per period and times navigation start → stacked chart drawn
 * (an area path inside [data-testid=stacked-chart], visible). Prints one JSON line.
 *   node --import tsx bench/probe/page-probe.ts DB REPS
 */
import { launchBrowser, startDashboard } from '../../test/e2e/helpers';

const CHART_DRAWN = '[data-testid=stacked-chart] svg path.chart-band';
const [db, repsArg] = process.argv.slice(2);
const reps = Number(repsArg ?? 5);
const dash = await startDashboard({ db });
const b = await launchBrowser();
const out: Record<string, number[]> = {};
try {
  await b.page.goto(dash.loginUrl);
  for (const period of ['24h', '30d']) {
    out[period] = [];
    for (let i = 0; i <= reps; i++) {
      const t0 = Date.now();
      await b.page.goto(`${dash.url}/?period=${period}&net=all`, { waitUntil: 'commit' });
      await b.page.waitForSelector(CHART_DRAWN, { state: 'visible', timeout: 30_000 }).catch(async (err: Error) => {
        const body = (await b.page.innerText('body').catch(() => '')).replace(/\s+/g, ' ').slice(0, 600);
        throw new Error(`${period}: the chart was not drawn (${err.message.split('\n')[0]}); page says: ${body}`);
      });
      if (i > 0) out[period].push(Date.now() - t0); // the first load warms the server's caches
    }
  }
} finally {
  await b.close();
  await dash.close();
}
process.stdout.write(JSON.stringify(out) + '\n');
