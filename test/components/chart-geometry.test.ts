import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { byteTicks, stackedMax, stackPaths, timeTicks, VIEW_H, xFraction } from '../../components/chart-geometry';

/** pointsOf reads "x,y" pairs back out of path data. */
const pointsOf = (d: string) => d.replace(/[MZ]/g, '').split('L').filter(Boolean).map((p) => p.split(',').map(Number));

describe('stacked chart geometry', () => {
  test('each band sits on the one below it and the top band reaches the stacked total', () => {
    const ts = [0, 10, 20];
    const values = [[100, 0, 50], [100, 200, 50]];
    const top = stackedMax(values, ts.length);
    assert.equal(top, 200);
    const [low, high] = stackPaths(ts, values, top);
    const y = (v: number) => VIEW_H - (v / top) * VIEW_H;
    assert.deepEqual(pointsOf(low.line), [[0, y(100)], [500, y(0)], [1000, y(50)]]);
    assert.deepEqual(pointsOf(high.line), [[0, y(200)], [500, y(200)], [1000, y(100)]]);
    // The upper band's lower edge is the lower band's upper edge, walked back.
    assert.deepEqual(pointsOf(high.area).slice(3), pointsOf(low.line).reverse());
    assert.deepEqual(pointsOf(low.area).slice(3), [[1000, VIEW_H], [500, VIEW_H], [0, VIEW_H]]);
  });

  test('uneven point times are placed by time, a lone point in the middle, no points draw nothing', () => {
    assert.equal(xFraction([0, 30, 100], 1), 0.3);
    assert.equal(xFraction([5], 0), 0.5);
    assert.deepEqual(stackPaths([], [[]], 1), [{ area: '', line: '' }]);
  });

  test('y ticks are round in the unit the labels print and cover the data', () => {
    for (const max of [1, 900, 1500, 3.4 * 1024 ** 3, 7.7e12]) {
      const { ticks, top } = byteTicks(max);
      assert.ok(top >= max, `top ${top} covers ${max}`);
      assert.ok(ticks.length >= 3 && ticks.length <= 6, `${ticks.length} ticks for ${max}`);
      assert.equal(ticks[0].value, 0);
      assert.equal(ticks[ticks.length - 1].at, 1);
    }
    assert.deepEqual(byteTicks(3.4 * 1024 ** 3).ticks.map((t) => t.value / 1024 ** 3), [0, 1, 2, 3, 4]);
    assert.deepEqual(byteTicks(0).ticks, [{ value: 0, at: 0 }]);
  });

  test('x ticks fall on round local times inside the range', () => {
    const t0 = new Date(2026, 2, 10, 13, 7).getTime() / 1000;
    const day = timeTicks(t0, t0 + 86400);
    assert.ok(day.length >= 4 && day.length <= 8, `${day.length} ticks over a day`);
    for (const t of day) {
      const d = new Date(t.value * 1000);
      assert.equal(d.getMinutes(), 0, 'on the hour');
      assert.equal(d.getHours() % 3, 0, 'every few hours from midnight');
      assert.ok(t.at >= 0 && t.at <= 1);
    }
    const month = timeTicks(t0, t0 + 30 * 86400);
    for (const t of month) assert.equal(new Date(t.value * 1000).getHours(), 0, 'at midnight');
    const year = timeTicks(t0, t0 + 365 * 86400);
    assert.ok(year.length >= 4 && year.length <= 8, `${year.length} ticks over a year`);
    for (const t of year) assert.equal(new Date(t.value * 1000).getDate(), 1, 'first of a month');
  });
});
