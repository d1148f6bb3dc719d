/**
 * Runs INSIDE the sandbox (its own loopback): starts the production dashboard on the
 * given store with the e2e helpers (`appnet serve`), logs in once, then loads the
 * overview `reps` times per period and times navigation start → first painted frame with the
 * stacked chart drawn (an area path inside a visible [data-testid=stacked-chart]), on the
 * page's own clock (performance.now(), whose origin is navigation start), so CDP round
 * trips and Playwright's polling are not counted. Prints one JSON line.
 *   node --import tsx bench/probe/page-probe.ts DB REPS
 */
import { launchBrowser } from '../../harness/browser';
import { startDashboard } from '../../harness/dashboard';

// The server-drawn chart in the first HTML counts: it is the chart the user sees until recharts,
// loaded after hydration, draws the same chart over it (ChartUpgrade).
const CHART_DRAWN = '[data-testid=stacked-chart] svg path.chart-band';
// A string, not a function: tsx would add helpers the page does not have.
const WATCH = `(() => {
  const mark = (window.__chartDrawn = {});
  const check = () => {
    const fig = document.querySelector(${JSON.stringify(CHART_DRAWN)})?.closest('figure');
    if (!fig || !fig.checkVisibility()) return;
    mo.disconnect();
    requestAnimationFrame(() => (mark.ms = performance.now()));
  };
  const mo = new MutationObserver(check);
  mo.observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['hidden', 'style', 'class'] });
})();`;

const [db, repsArg] = process.argv.slice(2);
const reps = Number(repsArg ?? 5);
const dash = await startDashboard({ db });
const b = await launchBrowser();
const out: Record<string, number[]> = {};
try {
  await b.context.addInitScript({ content: WATCH });
  await b.page.goto(dash.loginUrl);
  for (const period of ['24h', '30d']) {
    out[period] = [];
    for (let i = 0; i <= reps; i++) {
      await b.page.goto(`${dash.url}/?period=${period}&net=all`, { waitUntil: 'commit' });
      const ms = await b.page
        .waitForFunction(
          () => {
            // The frame the chart is in counts once Chromium has painted content (FCP can be held back).
            const ms = (window as unknown as { __chartDrawn?: { ms?: number } }).__chartDrawn?.ms;
            const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime;
            return ms !== undefined && fcp !== undefined && Math.max(ms, fcp);
          },
          undefined,
          { timeout: 30_000 },
        )
        .then((h) => h.jsonValue() as Promise<number>)
        .catch(async (err: Error) => {
          const body = (await b.page.innerText('body').catch(() => '')).replace(/\s+/g, ' ').slice(0, 600);
          throw new Error(`${period}: the chart was not drawn (${err.message.split('\n')[0]}); page says: ${body}`);
        });
      if (i > 0) out[period].push(Math.round(ms)); // the first load warms the server's caches
    }
  }
} finally {
  await b.close();
  await dash.close();
}
process.stdout.write(JSON.stringify(out) + '\n');
