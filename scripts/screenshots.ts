/**
 * screenshots takes the README's pictures of the Overview: phone (390×844) and desktop (1280×800),
 * light and dark, from a seeded store (test/fixtures/seed: forty days of a laptop with a metered
 * mobile link, Wi-Fi and ethernet) behind the production dashboard (`appnet serve`, after
 * `next build`), in Debian's Chromium. Writes docs/screenshots/overview-<size>-<theme>.png.
 *
 *   NEXT_TELEMETRY_DISABLED=1 npx next build && node --import tsx scripts/screenshots.ts
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launchBrowser } from '../harness/browser';
import { shareableDir, shareDb, startDashboard } from '../harness/dashboard';
import { seedDb } from '../test/fixtures/seed';

const OUT = resolve(import.meta.dirname, '..', 'docs', 'screenshots');
const SIZES = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } } as const;

async function main(): Promise<void> {
  const dir = shareableDir('appnet-screenshots-');
  const dash = await (async () => {
    const seeded = seedDb(join(dir, 'appnet.db'), { now: Date.now() / 1000, days: 40 });
    shareDb(seeded.path);
    return startDashboard({ db: seeded.path, tz: 'Europe/Berlin' });
  })();
  try {
    mkdirSync(OUT, { recursive: true });
    // One browser: the login URL works once.
    const b = await launchBrowser({ timezoneId: 'Europe/Berlin' });
    try {
      await b.page.goto(dash.loginUrl);
      await b.page.waitForURL((u) => !u.pathname.startsWith('/login'));
      for (const [size, vp] of Object.entries(SIZES)) {
        for (const colorScheme of ['light', 'dark'] as const) {
          await b.page.setViewportSize(vp);
          await b.page.emulateMedia({ colorScheme });
          await b.page.goto(`${dash.url}/`);
          // The interactive chart has replaced the server-drawn one.
          await b.page.locator('.chart-live .recharts-area-area').first().waitFor();
          const path = join(OUT, `overview-${size}-${colorScheme}.png`);
          await b.page.screenshot({ path, fullPage: size === 'desktop' });
          console.log(`wrote ${path}`);
        }
      }
    } finally {
      await b.close();
    }
  } finally {
    await dash.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
