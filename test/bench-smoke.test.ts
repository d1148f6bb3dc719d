import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildHistory } from '../bench/history';
import { RESOLUTIONS } from '../lib/time';
import { parseCpuModel } from '../bench/machine';
import { renderReport } from '../bench/report';
import type { Results } from '../bench/results';
import { planUsesIndexes } from '../bench/queries';
import { median, pairedRatios, percentile, summarize } from '../bench/stats';

test('stats: percentiles interpolate, paired ratios pair rounds', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(percentile([0, 10], 0.95), 9.5);
  assert.ok(Number.isNaN(median([])));
  const s = summarize([1, 2, 3, 4, 100]);
  assert.equal(s.median, 3);
  assert.equal(s.max, 100);
  const r = pairedRatios([100, 200, 50], [90, 200, 60]);
  assert.equal(r.n, 3);
  assert.equal(r.median, 1);
  assert.equal(r.min, 0.9);
  assert.equal(r.max, 1.2);
});

test('machine: cpu model read from /proc/cpuinfo text', () => {
  assert.equal(parseCpuModel('processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t: fpu\n'), 'AMD EPYC 7B13');
  assert.equal(parseCpuModel('processor\t: 0\n'), 'unknown');
});

test('history: roll-ups built for the query bench agree with each other', () => {
  const dir = mkdtempSync(join(tmpdir(), 'appnet-bench-'));
  try {
    const now = 1_750_000_000;
    const h = buildHistory(join(dir, 'h.db'), { apps: 4, networks: 2, days: 17, activeHourShare: 0.5 }, now);
    const sum = (sql: string) => (h.db.prepare(sql).get() as { b: number | null }).b ?? 0;
    assert.ok(h.rows.usage_10s > 0 && h.rows.usage_1m > 0 && h.rows.usage_1h > 0 && h.rows.usage_1d > 0);
    assert.equal(sum('SELECT SUM(rx_bytes) AS b FROM usage_1d'), sum('SELECT SUM(rx_bytes) AS b FROM usage_1h'));
    const firstMinute = sum('SELECT MIN(ts) AS b FROM usage_1m');
    assert.equal(sum('SELECT SUM(tx_bytes) AS b FROM usage_1m'), sum(`SELECT SUM(tx_bytes) AS b FROM usage_1h WHERE ts >= ${firstMinute - (firstMinute % 3600)}`));
    const first10s = sum('SELECT MIN(ts) AS b FROM usage_10s');
    // Like a running collector's store: the last minute's 10 s rows wait past the roll-up watermark.
    const until = sum('SELECT until AS b FROM rollup_state');
    assert.ok(now - until > 0 && now - until <= 60, `watermark ${now - until} s back`);
    assert.ok(sum(`SELECT SUM(rx_bytes) AS b FROM usage_10s WHERE ts >= ${until}`) > 0, 'rows are waiting');
    assert.equal(sum(`SELECT SUM(rx_bytes) AS b FROM usage_10s WHERE ts < ${until}`), sum(`SELECT SUM(rx_bytes) AS b FROM usage_1m WHERE ts >= ${first10s - (first10s % 60)}`));
    assert.equal(sum('SELECT SUM(rx_bytes) AS b FROM usage_1mo'), sum(`SELECT SUM(rx_bytes) AS b FROM usage_link WHERE res = 2592000`) - sum(`SELECT SUM(rx_bytes) AS b FROM usage_10s WHERE ts >= ${until}`));
    assert.ok(now - sum('SELECT MIN(ts) AS b FROM usage_10s') <= RESOLUTIONS[0].keepSeconds, '10 s rows only within their retention');
    h.db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('report: renders every section, marks misses, survives missing sections', () => {
  const machine = { cpuModel: 'X', cpus: 2, memGiB: 4, kernel: 'Linux 6', nft: 'nftables v1.0.6', iptables: 'v1.8.9', iperf3: 'iperf 3.12', node: 'v20', loadAvgStart: [1, 1, 1] };
  const empty = renderReport({ machine });
  assert.match(empty, /## 1\. Packet-path cost/);
  assert.match(empty, /Not measured in any run yet/);
  assert.match(empty, /## 7\. Page load/);
  const r: Results = {
    machine,
    poll: {
      at: '2026-01-01T00:00:00Z',
      seconds: 1,
      loadAvg: [0, 0, 0],
      data: {
        reps: 1,
        ratio: null,
        points: [
          {
            elements: 100,
            cgroups: 100,
            netlink: summarize([30]),
            numeric: summarize([300]),
            numericListMs: summarize([20]),
            parseMs: summarize([5]),
            idWalkMs: summarize([5]),
            plain: null,
            plainNote: 'not run',
          },
        ],
      },
    },
  };
  const text = renderReport(r);
  assert.match(text, /\| 100 \| 30\.0 \|/);
  assert.match(text, /\*\*MISSES\*\*/);
});

test('queries: a plan reading usage tables by primary key passes, a full scan does not', () => {
  assert.equal(planUsesIndexes(['CO-ROUTINE u', 'SEARCH usage_1h USING PRIMARY KEY (ts>? AND ts<?)', 'SCAN u', 'SEARCH s USING INTEGER PRIMARY KEY (rowid=?)']), true);
  assert.equal(planUsesIndexes(['SEARCH u USING PRIMARY KEY (ts>? AND ts<?)']), true);
  assert.equal(planUsesIndexes(['SCAN usage_1d']), false);
  assert.equal(planUsesIndexes(['SCAN u', 'SEARCH s USING INTEGER PRIMARY KEY (rowid=?)']), false);
  assert.equal(planUsesIndexes([]), false);
});
