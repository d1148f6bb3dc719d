import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketStart, localMidnight, localMonthStart, nextLocalMonthStart, nowSeconds, parseDuration, resolutionFor, RESOLUTIONS, splitRange, unixSeconds } from '../../lib/time';

test('unixSeconds turns ms and Dates into whole unix seconds; nowSeconds is the clock in that unit', () => {
  assert.equal(unixSeconds(1_780_000_000_999), 1_780_000_000);
  assert.equal(unixSeconds(new Date(1_780_000_000_500)), 1_780_000_000);
  assert.ok(Number.isNaN(unixSeconds(new Date('not a date'))));
  const before = Math.floor(Date.now() / 1000);
  const now = nowSeconds();
  assert.ok(Number.isInteger(now) && now >= before && now <= before + 1);
});

test('splitRange covers a period exactly once with whole buckets, coarse in the middle', () => {
  const now = 1_800_000_000;
  for (const [since, until] of [[now - 3600, now], [now - 86400 * 30 - 123, now], [now - 86400 * 365, now - 5], [now - 7, now]]) {
    const pieces = splitRange(since, until, now);
    for (let i = 1; i < pieces.length; i++) assert.equal(pieces[i].from, pieces[i - 1].to, 'pieces are contiguous');
    for (const p of pieces) {
      const res = RESOLUTIONS.find((r) => r.table === p.table)!;
      if (p.table !== 'usage_1d' && p.table !== 'usage_1mo' && p !== pieces[0] && p !== pieces[pieces.length - 1]) assert.equal(p.from % res.seconds, 0);
    }
    assert.ok(pieces.length <= 12, `few pieces: ${pieces.length}`);
  }
  const year = splitRange(now - 86400 * 365, now, now);
  assert.ok(year.some((p) => p.table === 'usage_1d'), 'a year reads days at its edges');
  assert.equal(year.filter((p) => p.table === 'usage_1mo').length, 1, 'and whole months in one piece');
});

test('month pieces are whole local calendar months, across daylight-saving changes', () => {
  process.env.TZ = 'Europe/Berlin';
  const now = Date.UTC(2026, 10, 3, 8) / 1000;
  const since = Date.UTC(2025, 10, 17, 13, 20) / 1000;
  const until = now - 2 * 86400; // a period that ends before now: its end is exact
  const pieces = splitRange(since, until, now);
  assert.equal(pieces[0].from, since);
  assert.equal(pieces[pieces.length - 1].to, until);
  for (let i = 1; i < pieces.length; i++) assert.equal(pieces[i].from, pieces[i - 1].to, 'contiguous');
  const months = pieces.filter((p) => p.table === 'usage_1mo');
  assert.equal(months.length, 1);
  const m = months[0];
  // Running to now, the month holding now is read whole (nothing is stored after now).
  const open = splitRange(since, now, now);
  for (let i = 1; i < open.length; i++) assert.equal(open[i].from, open[i - 1].to, 'contiguous');
  assert.deepEqual(open[open.length - 1], { table: 'usage_1mo', from: m.from, to: Date.UTC(2026, 10, 30, 23) / 1000 });
  const later = now + 1234;
  assert.deepEqual(splitRange(later - 3600, later, later), [
    { table: 'usage_10s', from: later - 3600, to: later - 3600 + 26 },
    { table: 'usage_1m', from: later - 3600 + 26, to: now },
    { table: 'usage_1h', from: now, to: now + 3600 },
  ], 'the last hour: its first edge, minutes, then this hour so far');
  // Local midnights on the 1st: 2025-12-01 (winter, UTC+1) to 2026-11-01 (winter again).
  assert.equal(m.from, Date.UTC(2025, 10, 30, 23) / 1000);
  assert.equal(m.to, Date.UTC(2026, 9, 31, 23) / 1000);
  assert.equal(new Date(m.from * 1000).getDate(), 1);
  assert.equal(new Date(m.from * 1000).getHours(), 0);
  // April starts at a summer-time midnight (UTC+2); it is one bucket of its own.
  const april = Date.UTC(2026, 3, 10, 12) / 1000;
  assert.equal(bucketStart(april, RESOLUTIONS[4]), Date.UTC(2026, 2, 31, 22) / 1000);
  assert.equal(nextLocalMonthStart(april), Date.UTC(2026, 3, 30, 22) / 1000);
  assert.equal(localMonthStart(Date.UTC(2026, 2, 31, 22) / 1000), Date.UTC(2026, 2, 31, 22) / 1000, 'a month start is its own bucket');
  // Every month start is a day bucket, so months are unions of days.
  for (let t = m.from; t < m.to; t = nextLocalMonthStart(t)) assert.equal(localMidnight(t), t);
  const noMonths = splitRange(since, now, now, { coarsest: 'usage_1d' });
  assert.ok(!noMonths.some((p) => p.table === 'usage_1mo'), 'coarsest stops at days');
  assert.ok(resolutionFor(now - 40 * 365 * 86400, now, now, 3).table !== 'usage_1mo', 'charts never use months');
});

test('day buckets follow local midnight across a daylight-saving change', () => {
  process.env.TZ = 'Europe/Berlin';
  // 2026-03-29 is the spring-forward day in Berlin: 23 hours long.
  const d1 = bucketStart(Date.UTC(2026, 2, 29, 12) / 1000, RESOLUTIONS[3]);
  const d2 = bucketStart(Date.UTC(2026, 2, 30, 12) / 1000, RESOLUTIONS[3]);
  assert.equal(d2 - d1, 23 * 3600);
  assert.equal(new Date(d1 * 1000).getHours(), 0);
});

test('parseDuration', () => {
  assert.equal(parseDuration('24h'), 86400);
  assert.equal(parseDuration('2w'), 14 * 86400);
  assert.equal(parseDuration('1y'), null);
  assert.equal(parseDuration('-5m'), null);
});
