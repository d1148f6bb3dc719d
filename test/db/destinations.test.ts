/**
 * Destinations in the store (migration 080): an app's destinations plus its "other
 * destinations" add up exactly to its usage over the same period, before and after closed hours
 * are folded to the top destinations; retention and clearing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openDb, type Db } from '../../db/open';
import { upsertApp } from '../../db/queries/apps';
import { countAppDestinations, getAppDestinations, getDestinationsSetting, getDestinationsState, putDestinationsState, setDestinationsSetting } from '../../db/queries/destinations';
import { channelHandlers } from '../../collector/channel/handlers';
import { encodeRequest, handleChannelRequest } from '../../lib/channel';
import { destinationsStateText } from '../../lib/dest-state';
import { upsertInterface, upsertNetwork } from '../../db/queries/interfaces';
import { clearDestinations, foldDestinations, insertDestUsage, pruneDestinations, type DestUsage } from '../../db/store/dest-write';
import { getOrCreateSeries, insertUsage } from '../../db/store/usage-write';
import { appIdentity } from '../../lib/identity';
import { execFileSync } from 'node:child_process';
import { parseCsv } from '../parse-csv';
import { reportQuerySchema, type ReportJson } from '../../lib/report';
import { getReport } from '../../db/queries/report';
import { getMetricsSnapshot } from '../../db/queries/metrics';
import { DEFAULT_LIMITS, renderMetrics } from '../../lib/metrics';

const dir = mkdtempSync(join(tmpdir(), 'appnet-dest-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_780_000_000 - (1_780_000_000 % 3600);

/** A store with one app on two networks and one other app. */
function fixture(name: string) {
  const db = openDb(join(dir, `${name}.db`), { migrate: true });
  const mk = (unit: string, iface: string) => {
    const app = upsertApp(db, appIdentity(`system.slice/${unit}`), T0);
    const net = upsertNetwork(db, { netKey: `iface:${iface}`, name: iface, kind: 'ethernet', meteredAuto: false }, T0);
    const ifc = upsertInterface(db, { name: iface, kind: 'ethernet', mac: null, networkId: net }, T0);
    return { app, net, series: getOrCreateSeries(db, app, ifc, net) };
  };
  return { db, a1: mk('a.service', 'eth0'), a2: mk('a.service', 'wwan0'), b: mk('b.service', 'eth0') };
}

/** poll books `dests` and, as the collector does, the app's usage: the destinations' sums plus `unrecorded` bytes in. */
function poll(db: Db, ts: number, dests: DestUsage[], unrecorded = 0): void {
  db.transaction(() => {
    const by = new Map<number, { seriesId: number; rxBytes: number; txBytes: number; rxPackets: number; txPackets: number }>();
    for (const d of dests) {
      const u = by.get(d.seriesId) ?? { seriesId: d.seriesId, rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 };
      u.rxBytes += d.rxBytes;
      u.txBytes += d.txBytes;
      u.rxPackets += d.rxPackets;
      u.txPackets += d.txPackets;
      by.set(d.seriesId, u);
    }
    const first = [...by.values()][0];
    if (first && unrecorded) first.rxBytes += unrecorded;
    insertUsage(db, ts, [...by.values()]);
    insertDestUsage(db, ts, dests);
  })();
}

function dest(seriesId: number, i: number, bytes: number): DestUsage {
  return { seriesId, remote: `10.0.${i >> 8}.${i & 255}`, proto: 6, port: 443, inbound: false, rxBytes: bytes, txBytes: Math.floor(bytes / 10), rxPackets: 3, txPackets: 2 };
}

const sum = (x: { rxBytes: number; txBytes: number }) => x.rxBytes + x.txBytes;

describe('destinations store', () => {
  test('destinations + other destinations equal the app total exactly, before and after the fold to the top 100', () => {
    const { db, a1, a2, b } = fixture('fold');
    // 250 destinations of app a over two networks in the first hour, some on both; 5 of app b.
    for (let p = 0; p < 30; p++) {
      const ts = T0 + p * 100;
      const ds: DestUsage[] = [];
      for (let i = 0; i < 250; i++) if ((i + p) % 3 === 0) ds.push(dest(i % 7 === 0 ? a2.series : a1.series, i, 1000 + i * 37 + p));
      for (let i = 0; i < 5; i++) ds.push(dest(b.series, i, 500));
      poll(db, ts, ds, p === 3 ? 12_345 : 0);
    }
    poll(db, T0 + 3600 + 10, [dest(a1.series, 1, 777)]);
    const now = T0 + 3600 + 20;
    const f = { since: T0, until: now };
    const before = getAppDestinations(db, a1.app, f, now, 10_000);
    assert.equal(before.rows.length, 250);
    assert.ok(before.other.rxBytes >= 12_345, 'traffic without a destination record is other');
    assert.deepEqual(
      { rx: before.rows.reduce((n, r) => n + r.rxBytes, 0) + before.other.rxBytes, tx: before.rows.reduce((n, r) => n + r.txBytes, 0) + before.other.txBytes },
      { rx: before.total.rxBytes, tx: before.total.txBytes },
    );
    const folded = foldDestinations(db, now);
    assert.ok(folded > 0, 'the first hour had more than 100 destinations of app a');
    assert.equal(foldDestinations(db, now), 0, 'folding again changes nothing');
    const afterFold = getAppDestinations(db, a1.app, f, now, 10_000);
    assert.deepEqual(afterFold.total, before.total, 'the total does not change');
    const hour1 = getAppDestinations(db, a1.app, { since: T0, until: T0 + 3600 }, now, 10_000);
    assert.equal(hour1.rows.length, 100, 'the folded hour keeps the app\'s top 100');
    for (const g of [afterFold, hour1]) {
      const listed = g.rows.reduce((n, r) => n + sum(r), 0);
      assert.equal(listed + sum(g.other), sum(g.total), 'destinations + other = total, exactly');
      assert.equal(g.rows.reduce((n, r) => n + r.rxPackets + r.txPackets, 0) + g.other.rxPackets + g.other.txPackets, g.total.rxPackets + g.total.txPackets);
    }
    const top = before.rows.slice(0, 100).map((r) => r.remote).sort();
    assert.deepEqual(hour1.rows.map((r) => r.remote).sort(), top, 'the top 100 by bytes are kept by name');
    // Per network, too: the fold keeps each series' rows and other row apart.
    const net2 = getAppDestinations(db, a1.app, { ...f, networkId: a2.net }, now, 10_000);
    assert.equal(net2.rows.reduce((n, r) => n + sum(r), 0) + sum(net2.other), sum(net2.total));
    assert.ok(net2.rows.every((r) => Number(r.remote.split('.').pop()) % 7 === 0), 'only destinations seen on that network');
    const b1 = getAppDestinations(db, b.app, f, now);
    assert.equal(b1.rows.length, 5);
    assert.equal(sum(b1.other), 0, 'app b: all its traffic has a destination');
    assert.deepEqual(countAppDestinations(db, T0).find((c) => c.appId === b.app), { appId: b.app, destinations: 5 });
    db.close();
  });

  test('closed hours go into their local day, days are folded too; every period stays exact as hours are pruned', () => {
    const { db, a1, a2 } = fixture('days');
    const start = T0 - 3 * 86400;
    // Three days, every 2 hours: 150 destinations a day in rotation over two networks, a little unrecorded traffic.
    for (let h = 0; h < 72; h += 2) {
      const ds: DestUsage[] = [];
      for (let i = 0; i < 60; i++) {
        const k = (h * 5 + i) % 150;
        ds.push(dest(k % 4 === 0 ? a2.series : a1.series, k, 200 + k * 11 + h));
      }
      poll(db, start + h * 3600 + 60, ds, h % 10 === 0 ? 999 : 0);
    }
    const now = start + 72 * 3600 + 120;
    const periods = [
      { since: start, until: now },
      { since: start + 5 * 3600, until: start + 50 * 3600 },
      { since: start + 30 * 3600, until: now },
    ];
    const before = periods.map((f) => getAppDestinations(db, a1.app, f, now, 10_000));
    foldDestinations(db, now);
    const days = (db.prepare('SELECT COUNT(DISTINCT ts) AS n FROM dest_1d').get() as { n: number }).n;
    assert.ok(days >= 3, `hours were added to their days (${days})`);
    const check = (label: string) =>
      periods.forEach((f, k) => {
        const g = getAppDestinations(db, a1.app, f, now, 10_000);
        assert.deepEqual(g.total, before[k].total, `${label}: the same total`);
        assert.equal(g.rows.reduce((n, r) => n + sum(r), 0) + sum(g.other), sum(g.total), `${label}: destinations + other = total`);
      });
    check('after folding into days');
    const perDay = db
      .prepare(
        `SELECT d.ts, COUNT(DISTINCT dest_id) AS n FROM dest_1d d
         WHERE dest_id <> 0 AND ts < (SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'dest_days_folded_until') GROUP BY d.ts`,
      )
      .all() as Array<{ ts: number; n: number }>;
    assert.ok(perDay.length >= 2, `closed days were folded (${perDay.length})`);
    assert.ok(perDay.every((d) => d.n <= 100) && perDay.some((d) => d.n === 100), `each closed day keeps the app's top 100: ${JSON.stringify(perDay)}`);
    // As the collector's housekeeping does: closed days are written before hours are pruned (an hour goes only once its day is written).
    foldDestinations(db, now + 10 * 86400);
    pruneDestinations(db, now + 10 * 86400, 90);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM dest_1h').get() as { n: number }).n, 0, 'hours older than 2 days are gone');
    check('after hours were pruned');
    db.close();
  });

  test('retention deletes old hours; clearing deletes all history; the switch defaults to on', () => {
    const { db, a1 } = fixture('prune');
    poll(db, T0, [dest(a1.series, 1, 100)]);
    poll(db, T0 + 10 * 86400, [dest(a1.series, 2, 100)]);
    foldDestinations(db, T0 + 10 * 86400 + 3600);
    assert.equal(pruneDestinations(db, T0 + 10 * 86400, 5), 2, 'the old hour and its day');
    assert.equal(getAppDestinations(db, a1.app, { since: T0, until: T0 + 11 * 86400 }, T0 + 11 * 86400).rows.length, 1);
    assert.equal(clearDestinations(db), 1, 'the hour (its day is written once the day has closed)');
    const g = getAppDestinations(db, a1.app, { since: T0, until: T0 + 11 * 86400 }, T0 + 11 * 86400);
    assert.equal(g.rows.length, 0);
    assert.equal(sum(g.other), sum(g.total), 'after clearing, all of the app\'s traffic is other');
    assert.equal(getDestinationsSetting(db), true);
    setDestinationsSetting(db, false);
    assert.equal(getDestinationsSetting(db), false);
    db.close();
  });
});

describe("the dashboard's switch and clearing, through the collector's channel, and the collector's report", () => {
  test('destinations.setting.save and destinations.clear (confirmed) write; the reported state keeps its time until it changes', () => {
    const { db, a1 } = fixture('channel');
    poll(db, T0, [dest(a1.series, 1, 100), dest(a1.series, 2, 100)]);
    const h = channelHandlers(db);
    const ask = (line: string) => handleChannelRequest(line.trim(), h);
    assert.deepEqual(ask(encodeRequest('destinations.setting.save', { on: false })), { ok: true, value: { on: false } });
    assert.equal(getDestinationsSetting(db), false);
    assert.equal(ask(JSON.stringify({ v: 1, op: 'destinations.clear', payload: {} })).ok, false, 'clearing must be confirmed');
    assert.equal(ask(JSON.stringify({ v: 1, op: 'destinations.clear', payload: { confirm: false } })).ok, false);
    assert.equal(getAppDestinations(db, a1.app, { since: T0, until: T0 + 3600 }, T0 + 3600).rows.length, 2, 'nothing deleted unconfirmed');
    assert.deepEqual(ask(encodeRequest('destinations.clear', { confirm: true })), { ok: true, value: { deleted: 2 } });
    assert.equal(getAppDestinations(db, a1.app, { since: T0, until: T0 + 3600 }, T0 + 3600).rows.length, 0);
    assert.equal(getDestinationsState(db), null, 'no collector has reported yet');
    assert.deepEqual(putDestinationsState(db, { recording: true, cause: 'on' }, T0), { recording: true, cause: 'on', since: T0 });
    assert.deepEqual(putDestinationsState(db, { recording: true, cause: 'on' }, T0 + 60), { recording: true, cause: 'on', since: T0 }, 'unchanged: since stays');
    putDestinationsState(db, { recording: false, cause: 'setting' }, T0 + 120);
    assert.deepEqual(getDestinationsState(db), { recording: false, cause: 'setting', since: T0 + 120 });
    assert.match(destinationsStateText(getDestinationsState(db), false), /^Off since .*: nothing new is recorded\.$/);
    assert.match(destinationsStateText(getDestinationsState(db), true), /starts recording at its next poll/);
    assert.match(destinationsStateText({ recording: false, cause: 'flag', since: T0 }, true), /--no-destinations, so this switch cannot turn recording on/);
    db.close();
  });
});

describe('destinations in the report and on the command line', () => {
  const { db, a1, b } = fixture('cli');
  const now = Math.floor(Date.now() / 1000);
  const h = now - (now % 3600);
  poll(db, h + 1, [dest(a1.series, 1, 5000), { ...dest(a1.series, 2, 3000), remote: 'fd00::2', proto: 17, port: 53 }], 700);
  poll(db, h + 2, [dest(b.series, 3, 100)]);
  db.prepare("INSERT INTO dest_names (addr, name, seen_at, expires_at) VALUES ('10.0.0.1', 'files.example.test', ?, ?)").run(h, h + 300);
  db.close();
  const path = join(dir, 'cli.db');
  const appnet = (args: string[]) => execFileSync(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'appnet.mjs'), ...args, '--db', path], { encoding: 'utf8' });

  test('appnet export --by app,remote: remote, host, protocol, port after kind; each app\'s rows add up to its total', () => {
    const rows = parseCsv(appnet(['export', '--since', '2h', '--by', 'app,remote']));
    assert.deepEqual(rows[0], ['since', 'until', 'app', 'app_name', 'kind', 'remote', 'host', 'protocol', 'port', 'rx_bytes', 'tx_bytes', 'total_bytes', 'rx_packets', 'tx_packets']);
    const a = rows.slice(1).filter((r) => r[2] === 'a.service');
    assert.deepEqual(a.map((r) => r.slice(5, 10)), [
      ['10.0.0.1', 'files.example.test', 'tcp', '443', '5000'],
      ['fd00::2', '', 'udp', '53', '3000'],
      ['', '', '', '', '700'],
    ]);
    const json = JSON.parse(appnet(['export', '--since', '2h', '--by', 'app,remote', '--format', 'json'])) as ReportJson;
    const other = json.rows.find((r) => r.appKey === 'a.service' && r.remote === null);
    assert.deepEqual([other?.host, other?.protocol, other?.port, other?.rxBytes], [null, null, null, 700]);
    assert.equal(json.rows.find((r) => r.host === 'files.example.test')?.remote, '10.0.0.1');
  });

  test('/metrics exports a count of destinations per app, never the destinations', async () => {
    const d = openDb(path, { readonly: true });
    const snap = getMetricsSnapshot(d, { ...DEFAULT_LIMITS, minBytes: 1 }, now);
    d.close();
    const text = await renderMetrics(snap);
    assert.match(text, /^appnet_app_destinations\{app="a\.service"\} 2$/m);
    assert.match(text, /^appnet_app_destinations\{app="b\.service"\} 1$/m);
    assert.doesNotMatch(text, /10\.0\.0\.1|fd00::2|example\.test/, 'no address or name in the metrics');
  });

  test('appnet top --app NAME --by remote lists the destinations and other destinations', () => {
    const out = appnet(['top', '--app', 'a.service', '--by', 'remote', '--since', '2h']);
    assert.match(out, /^HOST\s+PORT\s+DOWN\s+UP\s+SHARE\s+ADDRESS$/m);
    assert.match(out, /^files\.example\.test\s+tcp 443\s.*10\.0\.0\.1$/m);
    assert.match(out, /^fd00::2\s+udp 53\s/m);
    assert.match(out, /^\(other destinations\)\s/m);
    const j = JSON.parse(appnet(['top', '--app', 'a.service', '--by', 'remote', '--since', '2h', '--json'])) as { destinations: Array<{ remote: string; protocol: string }>; other: { rxBytes: number } };
    assert.deepEqual(j.destinations.map((d) => `${d.remote}/${d.protocol}`), ['10.0.0.1/tcp', 'fd00::2/udp']);
    assert.equal(j.other.rxBytes, 700);
  });

  test('appnet destinations off|status|clear|on: the switch and clearing, from the command line', () => {
    assert.match(appnet(['destinations', 'off']), /destination history is off: nothing new is recorded/);
    assert.equal(appnet(['destinations', 'status']), 'destination history is off\n');
    const w = openDb(path);
    putDestinationsState(w, { recording: false, cause: 'flag' }, now);
    w.close();
    assert.match(appnet(['destinations', 'status']), /^destination history is off\nthe collector: Off since .*--no-destinations, so this switch cannot turn recording on/);
    assert.match(appnet(['destinations', 'clear']), /^deleted 3 destination rows and the learned host names$/m);
    assert.equal(parseCsv(appnet(['export', '--since', '2h', '--by', 'app,remote'])).filter((r) => r[5] !== '' && r[5] !== 'remote').length, 0, 'nothing left but other destinations');
    assert.match(appnet(['destinations', 'on']), /destination history is on/);
  });
});

describe('IPv6 privacy addresses folded to their /64 (fold6)', () => {
  const { db, a1, a2 } = fixture('fold64');
  const P1 = '2001:db8:1:2';
  const P2 = '2001:db8:1:3';
  /** A random-looking interface identifier, as privacy addresses have. */
  const iid = (i: number) => [0x1000 + ((i * 7919) & 0xefff), 0xa000 + i, (i * 31 + 1) & 0xffff, 0xbeef ^ i].map((x) => x.toString(16)).join(':');
  const client = (series: number, remote: string, bytes: number): DestUsage => ({ seriesId: series, remote, proto: 6, port: 443, inbound: true, rxBytes: bytes, txBytes: 3 * bytes, rxPackets: 2, txPackets: 4 });
  // Over two hours and both networks: 40 privacy addresses of P1 and 25 of P2 reach the app's
  // port 443; one of 2001:db8:1:4 alone; two servers of P1 numbered by hand (::1, ::2); one
  // address of P1 a DNS answer named; three addresses of P1 the app asks on udp 53; IPv4.
  const want = new Map<string, { rx: number; tx: number; rxp: number; txp: number; n: number; first: number; last: number }>();
  const add = (key: string, d: DestUsage, ts: number) => {
    const w = want.get(key) ?? { rx: 0, tx: 0, rxp: 0, txp: 0, n: 0, first: ts, last: ts };
    w.rx += d.rxBytes;
    w.tx += d.txBytes;
    w.rxp += d.rxPackets;
    w.txp += d.txPackets;
    w.first = Math.min(w.first, ts);
    w.last = Math.max(w.last, ts);
    want.set(key, w);
  };
  const seen = new Map<string, Set<string>>();
  for (let p = 0; p < 12; p++) {
    const ts = T0 + p * 600;
    const ds: DestUsage[] = [];
    const push = (key: string, d: DestUsage) => {
      ds.push(d);
      add(key, d, ts);
      seen.set(key, (seen.get(key) ?? new Set()).add(d.remote));
    };
    for (let i = p; i < 40; i += 3) push('p1', client(i % 2 ? a2.series : a1.series, `${P1}:${iid(i)}`, 900 + i * 11 + p));
    for (let i = p % 2; i < 25; i += 2) push('p2', client(a1.series, `${P2}:${iid(100 + i)}`, 400 + i));
    push('single', client(a1.series, `2001:db8:1:4:${iid(7)}`, 300));
    push('low1', client(a1.series, `${P1}::1`, 5000));
    push('low2', client(a1.series, `${P1}::2`, 4000));
    push('named', client(a1.series, `${P1}:${iid(999)}`, 200));
    push('dns', { seriesId: a1.series, remote: `${P1}:${iid(500 + (p % 3))}`, proto: 17, port: 53, inbound: false, rxBytes: 90, txBytes: 60, rxPackets: 1, txPackets: 1 });
    push('v4', dest(a1.series, 1, 2500));
    poll(db, ts, ds, p === 5 ? 777 : 0);
  }
  db.prepare('INSERT INTO dest_names (addr, name, seen_at, expires_at) VALUES (?, ?, ?, ?)').run(`${P1}:${iid(999)}`, 'peer.example.test', T0, T0 + 300);
  const now = T0 + 2 * 3600 + 60;
  const f = { since: T0, until: now };
  const total = (rows: Array<{ rxBytes: number; txBytes: number; rxPackets: number; txPackets: number }>) =>
    rows.reduce((s, r) => ({ rxBytes: s.rxBytes + r.rxBytes, txBytes: s.txBytes + r.txBytes, rxPackets: s.rxPackets + r.rxPackets, txPackets: s.txPackets + r.txPackets }), { rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 });

  test('each /64 of privacy addresses is one row with their exact sums; hand-numbered, named, lone and IPv4 addresses stay as they are', () => {
    const g = getAppDestinations(db, a1.app, f, now);
    const row = (remote: string, proto = 6) => g.rows.filter((r) => r.remote === remote && r.proto === proto);
    const check = (key: string, remote: string, proto = 6) => {
      const w = want.get(key)!;
      const rs = row(remote, proto);
      assert.equal(rs.length, 1, `one row for ${remote}`);
      const r = rs[0];
      assert.deepEqual([r.rxBytes, r.txBytes, r.rxPackets, r.txPackets, r.firstSeen, r.lastSeen], [w.rx, w.tx, w.rxp, w.txp, w.first, w.last], `${remote}: sums, first and last seen`);
      assert.equal(r.addresses, key === 'p1' || key === 'p2' || key === 'dns' ? seen.get(key)!.size : 1, `${remote}: addresses`);
      return r;
    };
    assert.equal(check('p1', `${P1}::/64`).addresses, 40);
    assert.equal(check('p2', `${P2}::/64`).addresses, 25);
    assert.equal(check('dns', `${P1}::/64`, 17).addresses, 3, 'the same /64 on another protocol and port is a row of its own');
    check('single', `2001:db8:1:4:${iid(7)}`);
    check('low1', `${P1}::1`);
    check('low2', `${P1}::2`);
    assert.equal(check('named', `${P1}:${iid(999)}`).host, 'peer.example.test');
    check('v4', '10.0.0.1');
    assert.equal(g.rows.length, 8);
    assert.deepEqual(g.rows.map((r) => r.rxBytes + r.txBytes), g.rows.map((r) => r.rxBytes + r.txBytes).sort((x, y) => y - x), 'biggest first');
    assert.deepEqual(g.total, { ...total([...g.rows, g.other]) }, 'destinations + other destinations = the app total, exactly');
    assert.equal(g.other.rxBytes, 777, 'other: only what no destination was recorded for');
  });

  test('the limit applies after folding: a folded row holds all its addresses even when few rows are listed', () => {
    const g = getAppDestinations(db, a1.app, f, now, 2);
    assert.deepEqual(g.rows.map((r) => [r.remote, r.addresses]), getAppDestinations(db, a1.app, f, now).rows.slice(0, 2).map((r) => [r.remote, r.addresses]));
    assert.deepEqual([g.rows[0].remote, g.rows[0].addresses], [`${P1}::/64`, 40], 'the biggest: the clients of P1');
    assert.equal(g.rows[0].rxBytes, want.get('p1')!.rx);
    assert.deepEqual(g.total, total([...g.rows, g.other]));
  });

  test('fold6 off lists every address; the sums are the same', () => {
    const auto = getAppDestinations(db, a1.app, f, now);
    const off = getAppDestinations(db, a1.app, f, now, 10_000, 'off');
    assert.equal(off.rows.length, 40 + 25 + 3 + 5);
    assert.ok(off.rows.every((r) => r.addresses === 1 && !r.remote.includes('/')));
    assert.deepEqual(total(off.rows), total(auto.rows));
    assert.deepEqual(off.total, total([...off.rows, off.other]));
  });

  test('the report by app,remote folds the same (fold6=auto by default, off on request) and adds up per app', () => {
    const q = (extra: Record<string, string>) => reportQuerySchema.parse({ since: String(T0), until: String(now), by: 'app,remote', ...extra });
    const auto = getReport(db, q({}), now).rows.filter((r) => r.appKey === 'a.service');
    assert.deepEqual(auto.filter((r) => r.remote === `${P1}::/64`).map((r) => [r.protocol, r.port, r.addresses, r.rxBytes]), [['tcp', 443, 40, want.get('p1')!.rx], ['udp', 53, 3, want.get('dns')!.rx]]);
    assert.equal(auto.find((r) => r.remote === `${P2}::/64`)?.addresses, 25);
    assert.equal(auto.length, 8 + 1, 'eight destinations and other destinations');
    const off = getReport(db, q({ fold6: 'off' }), now).rows.filter((r) => r.appKey === 'a.service');
    assert.equal(off.length, 73 + 1);
    const app = getAppDestinations(db, a1.app, f, now).total;
    for (const rows of [auto, off]) assert.deepEqual(total(rows), app, 'the app\'s rows add up to its total');
    assert.equal(reportQuerySchema.safeParse({ by: 'app', fold6: 'off' }).success, false, 'fold6 goes with by=app,remote');
    assert.equal(reportQuerySchema.safeParse({ by: 'app,remote', fold6: 'no' }).success, false);
  });

  test('on the command line: export --by app,remote [--fold6 off], top --app NAME --by remote', () => {
    const cli = (args: string[]) => execFileSync(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'appnet.mjs'), ...args, '--db', join(dir, 'fold64.db')], { encoding: 'utf8' });
    const rowsOf = (extra: string[]) => parseCsv(cli(['export', '--since', String(T0), '--until', String(now), '--by', 'app,remote', ...extra])).filter((r) => r[2] === 'a.service');
    assert.deepEqual(rowsOf([]).filter((r) => r[5].endsWith('/64')).map((r) => r.slice(5, 9)), [[`${P1}::/64`, '', 'tcp', '443'], [`${P2}::/64`, '', 'tcp', '443'], [`${P1}::/64`, '', 'udp', '53']]);
    assert.equal(rowsOf(['--fold6', 'off']).filter((r) => r[5] !== '').length, 73, 'every address');
    const top = cli(['top', '--app', 'a.service', '--by', 'remote', '--since', '400d']);
    assert.match(top, new RegExp(`^${P1}::/64\\s+tcp 443 \\(in\\)\\s.*\\(40 addresses\\)$`, 'm'));
    assert.throws(() => cli(['top', '--app', 'a.service', '--by', 'remote', '--fold6', 'sometimes']), /--fold6 must be auto or off, not 'sometimes'/);
  });
  after(() => db.close());
});
