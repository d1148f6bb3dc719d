import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketLabel, byteLabel, tickLabel } from '../../components/chart-format';

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
