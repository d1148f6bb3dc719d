process.env.TZ = 'Europe/Berlin';

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvCell, toCsv } from '../../lib/csv';
import { parseCsv } from '../parse-csv';
import { formatBytes, isoLocal } from '../../lib/format';
import { cycleBounds } from '../../lib/period';
import { reportCsv, reportQuerySchema } from '../../lib/report';

test('formatBytes uses IEC units people read', () => {
  assert.deepEqual([0, 812, 1536, 23.4 * 1024 ** 2, 1.02 * 1024 ** 3, 5 * 1024 ** 4].map(formatBytes), ['0 B', '812 B', '1.50 KiB', '23.4 MiB', '1.02 GiB', '5.00 TiB']);
});

test('isoLocal writes the local offset, across a daylight-saving change', () => {
  assert.equal(isoLocal(Date.UTC(2026, 2, 29, 0, 30) / 1000), '2026-03-29T01:30:00+01:00');
  assert.equal(isoLocal(Date.UTC(2026, 2, 29, 1, 30) / 1000), '2026-03-29T03:30:00+02:00');
});

test('CSV cells are quoted per RFC 4180 and formulas are neutralised', () => {
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('=HYPERLINK("x")'), '"\'=HYPERLINK(""x"")"');
  for (const bad of ['+1', '-2+3', '@SUM(A1)', '\t=x', ' =1']) assert.ok(csvCell(bad).replace(/^"/, '').startsWith("'"), bad);
  assert.equal(csvCell(-5), '-5', 'numbers stay numbers');
  const text = toCsv(['a', 'b'], [['x\r\ny', 1], ['=1+1', 2]]);
  assert.ok(text.endsWith('\r\n'));
  assert.deepEqual(parseCsv(text), [['a', 'b'], ['x\\x0d\\x0ay', '1'], ["'=1+1", '2']], 'line breaks in a cell are escaped, never raw');
});

test('reportCsv has a header row, ISO times with offset and integer bytes', () => {
  const since = Date.UTC(2026, 5, 1, 22) / 1000;
  const csv = reportCsv([{ since, until: since + 86400, appKey: '-evil', appName: 'x,y', kind: 'app', rxBytes: 10, txBytes: 5, rxPackets: 1, txPackets: 1 }], 'app');
  const rows = parseCsv(csv);
  assert.deepEqual(rows[0], ['since', 'until', 'app', 'app_name', 'kind', 'rx_bytes', 'tx_bytes', 'total_bytes', 'rx_packets', 'tx_packets']);
  assert.deepEqual(rows[1], ['2026-06-02T00:00:00+02:00', '2026-06-03T00:00:00+02:00', "'-evil", 'x,y', 'app', '10', '5', '15', '1', '1']);
});

test('report parameters are validated with readable messages', () => {
  const ok = reportQuerySchema.parse({ since: '2026-06-01T00:00:00+02:00', until: '1780351200', iface: 'wwan0,wlan0', metered: 'true', by: 'app,day' });
  assert.deepEqual(ok, { since: 1780264800, until: 1780351200, iface: ['wwan0', 'wlan0'], metered: true, by: 'app,day' });
  assert.equal(reportQuerySchema.parse({}).by, 'app');
  for (const bad of [{ since: 'yesterday' }, { by: 'iface' }, { iface: 'eth0;rm' }, { metered: 'maybe' }, { since: '20', until: '10' }, { bogus: '1' }]) {
    assert.equal(reportQuerySchema.safeParse(bad).success, false, JSON.stringify(bad));
  }
});

test('cycleBounds starts the billing cycle on the given day at local midnight', () => {
  const now = new Date('2026-11-03T09:00:00+01:00').getTime() / 1000;
  const c = cycleBounds(now, 5);
  assert.equal(isoLocal(c.since), '2026-10-05T00:00:00+02:00');
  assert.equal(isoLocal(c.until), '2026-11-05T00:00:00+01:00');
  assert.equal(isoLocal(cycleBounds(now, 1).since), '2026-11-01T00:00:00+01:00');
});
