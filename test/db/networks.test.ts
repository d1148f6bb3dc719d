/** The Networks page's data: this cycle's use, a projection only from a day of counting, loopback last. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { getNetworkCards, projectCycle } from '../../app/_data/networks';
import { openDb } from '../../db/open';
import { upsertNetwork } from '../../db/queries/interfaces';
import { cycleBounds } from '../../lib/period';
import { seedDb } from '../fixtures/seed';

const dir = mkdtempSync(join(tmpdir(), 'appnet-networks-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const now = Math.floor(new Date('2026-12-02T08:00:05Z').getTime() / 1000);

test('25 minutes after counting began: no projection (it would extrapolate one burst over the month)', () => {
  const s = seedDb(join(dir, 'fresh.db'), { now, days: 25 / 1440 });
  const db = openDb(s.path, { migrate: true });
  try {
    db.prepare('UPDATE networks SET first_seen = ?').run(now - 25 * 60);
    upsertNetwork(db, { netKey: 'iface:lo', name: 'lo', kind: 'loopback', meteredAuto: false }, now - 25 * 60);
    db.prepare("UPDATE networks SET last_seen = ? WHERE net_key = 'iface:lo'").run(now + 100);
    const cards = getNetworkCards(db, now);
    assert.equal(cards.at(-1)?.kind, 'loopback', 'loopback is listed last, though seen last');
    const wwan = cards.find((c) => c.ifaces.includes('wwan0'))!;
    assert.ok(wwan.used > 0);
    assert.equal(wwan.projected, null);
    assert.equal(wwan.countedSince, now - 25 * 60);
  } finally {
    db.close();
  }
});

test('a network counted for the whole cycle projects its pace since the cycle start over the rest of the cycle', () => {
  const s = seedDb(join(dir, 'old.db'), { now, days: 40 });
  const db = openDb(s.path, { readonly: true });
  try {
    const wwan = getNetworkCards(db, now).find((c) => c.ifaces.includes('wwan0'))!;
    const c = cycleBounds(now, wwan.cycleStartDay);
    assert.equal(wwan.countedSince, c.since);
    const want = s.sum({ since: c.since, until: now, ifaces: ['wwan0'] });
    assert.equal(wwan.used, want.rx + want.tx);
    assert.equal(wwan.projected, Math.round(wwan.used + (wwan.used / (now - c.since)) * (c.until - now)));
  } finally {
    db.close();
  }
});

test('projectCycle waits for a day of counting, then adds the counted pace over what is left', () => {
  assert.equal(projectCycle({ used: 100, countedSince: 0, now: 3600, cycleUntil: 86400 * 30 }), null);
  assert.equal(projectCycle({ used: 100, countedSince: 0, now: 86400, cycleUntil: 86400 * 30 }), 3000);
});
