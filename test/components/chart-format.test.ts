import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketLabel, byteLabel, pointLabel, tickLabel, tickLabels } from '../../components/chart-format';

test('byteLabel prints round axis values without trailing zeros', () => {
  assert.equal(byteLabel(0), '0 B');
  assert.equal(byteLabel(2 * 1024 ** 3), '2 GiB');
  assert.equal(byteLabel(2.5 * 1024 ** 3), '2.5 GiB');
  assert.equal(byteLabel(512 * 1024 ** 2), '512 MiB');
});

test('tickLabel prints dates for ticks days apart and times otherwise', () => {
  const ts = new Date(2026, 10, 23, 6, 0).getTime() / 1000;
  const day = tickLabel(ts, { stepSeconds: 600, daily: true });
  assert.match(day, /23/);
  assert.doesNotMatch(day, /6|06/);
  assert.equal(tickLabel(ts, { stepSeconds: 86400, daily: false }), day);
  assert.match(tickLabel(ts, { stepSeconds: 600, daily: false }), /0?6:00/);
});

test('bucketLabel names the span one point sums', () => {
  assert.equal(bucketLabel(10), '10 s');
  assert.equal(bucketLabel(30), '30 s');
  assert.equal(bucketLabel(600), '10 min');
  assert.equal(bucketLabel(3600), 'hour');
  assert.equal(bucketLabel(7200), '2 hours');
  assert.equal(bucketLabel(86400), 'day');
});

test('one time format: ticks, tooltip and header share it; multi-day axes carry dates where a day begins', () => {
  const at = (h: number, d = 23) => new Date(2026, 10, d, h, 0).getTime() / 1000;
  assert.deepEqual(tickLabels([at(6), at(12), at(18)], { stepSeconds: 600, daily: false }), ['06:00', '12:00', '18:00']);
  assert.deepEqual(tickLabels([at(12), at(18), at(0, 24), at(6, 24)], { stepSeconds: 600, daily: false }), ['Mon 23 Nov, 12:00', '18:00', 'Tue 24 Nov, 00:00', '06:00']);
  assert.deepEqual(tickLabels([at(0), at(0, 24)], { stepSeconds: 7200, daily: true }), ['Mon 23 Nov', 'Tue 24 Nov']);
  assert.equal(pointLabel(at(14), 600), 'Mon 23 Nov, 14:00–14:10');
  assert.equal(pointLabel(at(0), 86400), 'Mon 23 Nov');
});
