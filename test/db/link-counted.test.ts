/**
 * Counted by appnet next to counted by the interface, through the collector's real store
 * writer into SQLite and out through the Networks page's data layer and /metrics' query.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { getNetworkCards } from '../../app/_data/networks';
import { newPollState } from '../../collector/poll';
import { PollStore } from '../../collector/store';
import type { InterfaceInfo } from '../../collector/sources/interfaces';
import { openDb } from '../../db/open';
import { getAllNetworkCounted, getLinkStates, getNetworkCounted } from '../../db/queries/link-counted';
import { getMetricsSnapshot } from '../../db/queries/metrics';
import { DEFAULT_LIMITS, renderMetrics } from '../../lib/metrics';
import type { CounterDelta } from '../../lib/delta';
import { linkDeltas, type LinkReading } from '../../lib/link-counters';

const dir = mkdtempSync(join(tmpdir(), 'appnet-linkc-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const WLAN: InterfaceInfo = {
  name: 'wlan0', kind: 'wifi', mac: null, speedMbps: null, netKey: 'wifi:Home', netName: 'Home', meteredAuto: false,
};

const reading = (readAt: number, rxBytes: number, txBytes: number, rxPackets: number, txPackets: number): LinkReading => ({ name: 'wlan0', ifindex: 3, rxBytes, txBytes, rxPackets, txPackets, readAt });
const delta = (direction: 'in' | 'out', bytes: number, packets: number): CounterDelta => ({ family: 'ip', cgroupId: null, iface: 'wlan0', direction, bytes, packets, elapsedMs: 1000 });

test('each poll adds both figures for the same interval; the Networks page and /metrics read them per network', async () => {
  const db = openDb(join(dir, 'a.db'), { migrate: true });
  const store = new PollStore(db, () => undefined);
  const t0 = Date.UTC(2026, 11, 3, 7, 0, 5);
  const poll = (now: number, deltas: CounterDelta[], next: LinkReading[]) => {
    const prev = new Map(getLinkStates(db).map((r) => [r.name, r]));
    store.storePoll({ now, cgroups: [], ifaces: [WLAN], deltas, next: [], gone: [], prev: new Map(), links: { deltas: linkDeltas(prev, next), next } });
  };
  // The first read is the baseline: what appnet counted in that poll has no interface figure to stand next to.
  poll(t0, [delta('in', 5000, 5)], [reading(t0, 100_000, 50_000, 100, 50)]);
  assert.deepEqual(getAllNetworkCounted(db), []);
  // Two frames of 1,514 bytes arrived (1,500 IP bytes each), one ACK of 66 left (52 IP bytes), and one ARP reply of 42.
  poll(t0 + 1000, [delta('in', 3000, 2), delta('out', 52, 1)], [reading(t0 + 1000, 100_000 + 2 * 1514 + 42, 50_066, 103, 51)]);
  poll(t0 + 2000, [delta('in', 1500, 1)], [reading(t0 + 2000, 100_000 + 3 * 1514 + 42, 50_066, 104, 51)]);

  const all = getAllNetworkCounted(db);
  assert.equal(all.length, 1);
  assert.deepEqual(all[0].appnet, { rxBytes: 4500, txBytes: 52, rxPackets: 3, txPackets: 1 });
  assert.deepEqual(all[0].iface, { rxBytes: 3 * 1514 + 42, txBytes: 66, rxPackets: 4, txPackets: 1 });
  assert.equal(all[0].since, Math.floor(t0 / 1000), 'counted from the baseline read on');

  const card = getNetworkCards(db, Math.floor((t0 + 3000) / 1000)).find((n) => n.name === 'Home')!;
  assert.ok(card.counted, 'the Networks page has both figures');
  assert.equal(card.counted.appnet.rxBytes + card.counted.appnet.txBytes, 4552);
  assert.equal(card.counted.iface.rxBytes + card.counted.iface.txBytes, 3 * 1514 + 42 + 66);
  assert.equal(card.counted.since, Math.floor(t0 / 1000));
  assert.equal(card.used, 5000 + 4552, 'the cycle total still counts every byte appnet stored');

  const text = await renderMetrics(getMetricsSnapshot(db, DEFAULT_LIMITS, Math.floor((t0 + 3000) / 1000)));
  assert.match(text, /^appnet_network_counted_bytes_total\{network="Home",direction="in",counted_by="appnet"\} 4500$/m);
  assert.match(text, new RegExp(`^appnet_network_counted_bytes_total\\{network="Home",direction="in",counted_by="interface"\\} ${3 * 1514 + 42}$`, 'm'));
  assert.match(text, /^appnet_network_counted_packets_total\{network="Home",direction="out",counted_by="interface"\} 1$/m);

  // A restarted collector resumes from the stored reads.
  assert.deepEqual(getLinkStates(db), [reading(t0 + 2000, 100_000 + 3 * 1514 + 42, 50_066, 104, 51)]);
  db.close();
});

test('the Networks page’s read of one network’s cycle searches the primary key, not the whole table', () => {
  const db = openDb(join(dir, 'b.db'), { migrate: true });
  const sqls: string[] = [];
  const recording = new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return (sql: string) => (sqls.push(sql), target.prepare(sql));
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  getNetworkCounted(recording, 1, 0);
  assert.equal(sqls.length, 1);
  const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sqls[0]}`).all(1, 0) as Array<{ detail: string }>).map((r) => r.detail).join('; ');
  assert.match(plan, /SEARCH link_counted USING PRIMARY KEY \(network_id=\? AND ts>\?\)/);
  db.close();
});

test("a restart resumes from the interfaces' stored readings, a reboot does not (their counters started again from zero)", () => {
  const db = openDb(join(dir, 'boot.db'), { migrate: true });
  const store = new PollStore(db, () => undefined);
  const readAt = Date.UTC(2026, 11, 3, 7, 0, 5);
  store.storePoll({ now: readAt, cgroups: [], ifaces: [WLAN], deltas: [], next: [], gone: [], prev: new Map(), links: { deltas: [], next: [reading(readAt, 5000, 900, 10, 5)] } });
  assert.deepEqual([...newPollState(db, readAt - 3600_000).links.keys()], ['wlan0'], 'booted an hour before the reading: a restart');
  assert.deepEqual([...newPollState(db, readAt + 60_000).links.keys()], [], 'booted after the reading: its counters restarted');
  db.close();
});
