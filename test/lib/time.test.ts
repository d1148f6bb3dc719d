import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketStart, parseDuration, RESOLUTIONS, splitRange } from '../../lib/time';

test('splitRange covers a period exactly once with whole buckets, coarse in the middle', () => {
  const now = 1_800_000_000;
  for (const [since, until] of [[now - 3600, now], [now - 86400 * 30 - 123, now], [now - 86400 * 365, now - 5], [now - 7, now]]) {
    const pieces = splitRange(since, until, now);
    for (let i = 1; i < pieces.length; i++) assert.equal(pieces[i].from, pieces[i - 1].to, 'pieces are contiguous');
    for (const p of pieces) {
      const res = RESOLUTIONS.find((r) => r.table === p.table)!;
      if (p.table !== 'usage_1d' && p !== pieces[0] && p !== pieces[pieces.length - 1]) assert.equal(p.from % res.seconds, 0);
    }
    assert.ok(pieces.length <= 12, `few pieces: ${pieces.length}`);
  }
  const year = splitRange(now - 86400 * 365, now, now);
  assert.ok(year.some((p) => p.table === 'usage_1d'), 'a year reads days');
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
