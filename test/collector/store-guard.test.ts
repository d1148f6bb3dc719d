/**
 * The impossible-jump guard of the store, on a real database: a delta beyond twice the
 * link's line rate over the time since the element was last read is logged and not
 * stored; everything the guard cannot judge, or that a link could have carried, is.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { getRecentEvents } from '../../db/queries/status';
import { loadConfig } from '../../collector/config';
import { createContext } from '../../collector/loop';
import type { PollContext } from '../../collector/poll';
import type { InterfaceInfo } from '../../collector/sources/interfaces';
import type { CounterDelta } from '../../lib/delta';
import type { NetKind } from '../../lib/netkind';
import { appTotals, tempDir } from '../privileged/helpers';

const MB = 1e6;

function iface(name: string, kind: NetKind, speedMbps: number | null): InterfaceInfo {
  return { name, kind, mac: null, speedMbps, netKey: `iface:${name}`, netName: name, meteredAuto: false };
}

describe('impossible counter jumps', () => {
  let tmp: ReturnType<typeof tempDir>;
  let path: string;
  let ctx: PollContext;
  let now = Date.UTC(2026, 0, 5, 12);

  before(() => {
    tmp = tempDir();
    path = join(tmp.dir, 'guard.db');
    ctx = createContext(loadConfig({ db: path, once: true }), { log: () => {} });
    // A 10 Mbit/s Ethernet link carries 1.25 MB/s; the guard allows twice that plus 1 MB.
    ctx.st.ifaces = [iface('eth0', 'ethernet', 10), iface('wlan0', 'wifi', null), iface('veth0', 'virtual', 10)];
  });

  after(() => {
    ctx.tracker.close();
    ctx.db.close();
    tmp.remove();
  });

  /** One poll with a single outgoing delta of unattributed traffic; returns what was stored and logged. */
  const store = (d: Omit<CounterDelta, 'family' | 'direction' | 'cgroupId' | 'packets'>) => {
    now += 10_000;
    const before = appTotals(path, '(unattributed)', d.iface).tx;
    const events = getRecentEvents(ctx.db, 1000).length;
    for (const c of ctx.store.storePoll({ now, cgroups: ctx.tracker.seen.values(), ifaces: ctx.st.ifaces, deltas: [{ family: 'acct_out', direction: 'out', cgroupId: null, packets: Math.ceil(d.bytes / 1500), ...d }], next: [], gone: [], prev: new Map() })) c.stored = true;
    return { stored: appTotals(path, '(unattributed)', d.iface).tx - before, logged: getRecentEvents(ctx.db, 1000).slice(0, getRecentEvents(ctx.db, 1000).length - events) };
  };

  test('within twice the line rate over the interval: stored exactly, nothing logged', () => {
    const r = store({ iface: 'eth0', bytes: 3.4 * MB, elapsedMs: 1000 });
    assert.equal(r.stored, 3.4 * MB);
    assert.deepEqual(r.logged, []);
  });

  test('beyond it: not stored, and logged as an implausible delta naming the link, the bytes and the interval', () => {
    const r = store({ iface: 'eth0', bytes: 3.6 * MB, elapsedMs: 1000 });
    assert.equal(r.stored, 0);
    assert.equal(r.logged.length, 1);
    assert.equal(r.logged[0].kind, 'implausible-delta');
    assert.equal(r.logged[0].level, 'warn');
    assert.match(r.logged[0].message, /3600000 bytes on eth0 in 1000 ms/);
  });

  test('a backlog after an hour of downtime is within line rate × downtime and is stored', () => {
    const r = store({ iface: 'eth0', bytes: 4000 * MB, elapsedMs: 3600_000 });
    assert.equal(r.stored, 4000 * MB);
    assert.deepEqual(r.logged, []);
  });

  test('links the guard cannot judge keep every byte: unknown speed, virtual links, a counter seen for the first time', () => {
    assert.equal(store({ iface: 'wlan0', bytes: 1000 * MB, elapsedMs: 1000 }).stored, 1000 * MB);
    assert.equal(store({ iface: 'veth0', bytes: 1000 * MB, elapsedMs: 1000 }).stored, 1000 * MB);
    assert.equal(store({ iface: 'eth0', bytes: 1000 * MB, elapsedMs: null }).stored, 1000 * MB);
    assert.equal(store({ iface: 'ppp9', bytes: 1000 * MB, elapsedMs: 1000 }).stored, 1000 * MB, 'an interface not (yet) in the list');
  });

  test('a wall clock stepped back since the last read (NTP, RTC at boot) does not make every byte implausible', () => {
    const r = store({ iface: 'eth0', bytes: 200_000, elapsedMs: -3600_000 });
    assert.equal(r.stored, 200_000);
    assert.deepEqual(r.logged, []);
  });
});
