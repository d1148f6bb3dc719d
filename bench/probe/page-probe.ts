/**
 * Runs INSIDE the sandbox (its own loopback): starts the production dashboard on the
 * given store with the e2e helpers (`appnet serve`), logs in once, then loads the
 * overview `reps` times per period and times navigation start → first painted frame with the
 * stacked chart drawn (an area path inside a visible [data-testid=stacked-chart]), and to the
 * first frame with the interactive chart (recharts' areas, which carry the read-out, drawn over
 * the server's), on the page's own clock (performance.now(), whose origin is navigation start),
 * so CDP round trips and Playwright's polling are not counted. Prints one JSON line:
 * { [period]: { drawn: ms[], interactive: ms[] } }.
 *   node --import tsx bench/probe/page-probe.ts DB REPS
 */
import { launchBrowser } from '../../harness/browser';
import { startDashboard } from '../../harness/dashboard';

// The server-drawn chart in the first HTML counts: it is the chart the user sees until recharts,
// loaded after hydration, draws the same chart over it (ChartUpgrade).
const CHART_DRAWN = '[data-testid=stacked-chart] svg path.chart-band';
// recharts' own areas: the chart with its read-out (tooltip, keyboard), after hydration.
const CHART_LIVE = '[data-testid=stacked-chart] .chart-live path.recharts-area-area';
// A string, not a function: tsx would add helpers the page does not have.
const WATCH = `(() => {
  const mark = (window.__chartDrawn = {});
  const shown = (sel) => {
    const fig = document.querySelector(sel)?.closest('figure');
    return !!fig && fig.checkVisibility();
  };
  const check = () => {
    if (mark.asked === undefined && shown(${JSON.stringify(CHART_DRAWN)})) {
      mark.asked = true;
      requestAnimationFrame(() => (mark.ms = performance.now()));
    }
    if (mark.liveAsked === undefined && shown(${JSON.stringify(CHART_LIVE)})) {
      mark.liveAsked = true;
      requestAnimationFrame(() => (mark.liveMs = performance.now()));
    }
    if (mark.asked && mark.liveAsked) mo.disconnect();
  };
  const mo = new MutationObserver(check);
  mo.observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['hidden', 'style', 'class'] });
})();`;

const [db, repsArg] = process.argv.slice(2);
const reps = Number(repsArg ?? 5);
const dash = await startDashboard({ db });
const b = await launchBrowser();
const out: Record<string, { drawn: number[]; interactive: number[] }> = {};
try {
  await b.context.addInitScript({ content: WATCH });
  await b.page.goto(dash.loginUrl);
  for (const period of ['24h', '30d']) {
    out[period] = { drawn: [], interactive: [] };
    for (let i = 0; i <= reps; i++) {
      await b.page.goto(`${dash.url}/?period=${period}&net=all`, { waitUntil: 'commit' });
      const ms = await b.page
        .waitForFunction(
          () => {
            // The frame the chart is in counts once Chromium has painted content (FCP can be held back).
            const mark = (window as unknown as { __chartDrawn?: { ms?: number; liveMs?: number } }).__chartDrawn;
            const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime;
            return mark?.ms !== undefined && mark.liveMs !== undefined && fcp !== undefined && [Math.max(mark.ms, fcp), Math.max(mark.liveMs, fcp)];
          },
          undefined,
          { timeout: 30_000 },
        )
        .then((h) => h.jsonValue() as Promise<[number, number]>)
        .catch(async (err: Error) => {
          const body = (await b.page.innerText('body').catch(() => '')).replace(/\s+/g, ' ').slice(0, 600);
          throw new Error(`${period}: the chart was not drawn, or recharts never took over (${err.message.split('\n')[0]}); page says: ${body}`);
        });
      // The first load warms the server's caches.
      if (i > 0) {
        out[period].drawn.push(Math.round(ms[0]));
        out[period].interactive.push(Math.round(ms[1]));
      }
    }
  }
} finally {
  await b.close();
  await dash.close();
}
process.stdout.write(JSON.stringify(out) + '\n');
