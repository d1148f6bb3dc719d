/**
 * Live connections on the real kernel (issue 19): an app in system.slice/liveapp.service holds a
 * TCP connection to a peer over IPv4 and one over IPv6, a connected UDP socket and a TCP listener;
 * while somebody looks (live.watch over the collector's control socket, as the app page does), the
 * collector's snapshot lists exactly those, under that app, with their ports, states and TCP bytes,
 * and drops each one once it is closed.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { createSandbox, type Link, type Running, type Sandbox } from '../../collector/sandbox/sandbox';
import { systemdSkeleton } from '../../collector/sandbox/workloads';
import { callCollector } from '../../app/_data/channel';
import { getLiveSnapshot, type LiveSnapshot } from '../../db/queries/live';
import { DB_ENV } from '../../lib/store-path';
import { ROOT, TRAFFIC, sleep, startCollector, tempDir, waitForPoll, waitListening } from './helpers';

const node = process.execPath;
const LIVE_APP = join(ROOT, 'test', 'privileged', 'live-app.mjs');
const APP = 'system.slice/liveapp.service';
const SENT = 30_000;
const PEER_SENDS = 20_000;
const LISTEN = 7600;

/** look asks the collector for an app's live connections, as the dashboard does at each refresh (its own client; APPNET_DB names the store). */
const look = (app: number) => callCollector('live.watch', { app });

function snapshot(db: string, app: number): LiveSnapshot | null {
  const d = new Database(db, { readonly: true });
  try {
    return getLiveSnapshot(d, app);
  } finally {
    d.close();
  }
}

function appId(db: string, key: string): number | undefined {
  const d = new Database(db, { readonly: true });
  try {
    return (d.prepare('SELECT id FROM apps WHERE app_key = ?').get(key) as { id: number } | undefined)?.id;
  } finally {
    d.close();
  }
}

/** watchUntil keeps looking until the app's snapshot satisfies `ok` (20 s at most), and returns it. */
async function watchUntil(db: string, app: number, what: string, ok: (s: LiveSnapshot) => boolean): Promise<LiveSnapshot> {
  let last: LiveSnapshot | null = null;
  for (let i = 0; i < 80; i++) {
    const a = await look(app);
    assert.ok(a.ok && a.value.available, `the collector lists live connections: ${JSON.stringify(a)}`);
    last = snapshot(db, app);
    if (last && ok(last)) return last;
    await sleep(250);
  }
  throw new Error(`the live snapshot never showed ${what}; last: ${JSON.stringify(last, null, 1)}`);
}

const conns = (s: LiveSnapshot) => s.sockets.filter((x) => !x.listening);
const keyOf = (x: LiveSnapshot['sockets'][number]) => `${x.proto === 6 ? 'tcp' : 'udp'} ${x.remote} ${x.remotePort} ${x.localPort}`;

describe('live connections on the real kernel', () => {
  let s: Sandbox;
  let wlan: Link;
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  let app: Running;
  let id: number;
  let ready: { tcp: number[]; udp: number[] };

  before(async () => {
    tmp = tempDir();
    db = join(tmp.dir, 'appnet.db');
    process.env[DB_ENV] = db;
    s = await createSandbox();
    wlan = await s.addLink({ name: 'wlan0', subnet: 5 });
    systemdSkeleton(s);
    await s.spawn([node, LIVE_APP, '--serve', wlan.peerV4, '7501', String(PEER_SENDS)], { net: 'peer' });
    await s.spawn([node, LIVE_APP, '--serve', wlan.peerV6, '7502', String(PEER_SENDS)], { net: 'peer' });
    await s.spawn([node, TRAFFIC, 'serve-udp', wlan.peerV4, '7503'], { net: 'peer' });
    await waitListening(s, 7501, { net: 'peer' });
    await waitListening(s, 7502, { net: 'peer' });
    await startCollector(s, db, { interval: 1 });
    await waitForPoll(db, Date.now());
    const readyFile = join(tmp.dir, 'ready.json');
    app = await s.spawn([node, LIVE_APP, '--app', readyFile, String(SENT), String(LISTEN), 'tcp', wlan.peerV4, '7501', 'tcp', wlan.peerV6, '7502', 'udp', wlan.peerV4, '7503'], { cgroup: APP });
    for (let i = 0; i < 100 && !existsSync(readyFile); i++) await sleep(100);
    assert.ok(existsSync(readyFile), `the app did not get its connections up: ${JSON.stringify(await Promise.race([app.done, sleep(10).then(() => 'still running')]))}`);
    ready = JSON.parse(readFileSync(readyFile, 'utf8'));
    for (let i = 0; i < 100 && appId(db, 'liveapp.service') === undefined; i++) await sleep(100);
    id = appId(db, 'liveapp.service')!;
    assert.ok(id, 'the collector stored the app');
  });

  after(async () => {
    await s?.close();
    tmp?.remove();
  });

  test('the snapshot lists exactly the app’s connections and open port, with ports, states and TCP bytes', async () => {
    const want = [`tcp ${wlan.peerV4} 7501 ${ready.tcp[0]}`, `tcp ${wlan.peerV6} 7502 ${ready.tcp[1]}`, `udp ${wlan.peerV4} 7503 ${ready.udp[0]}`].sort();
    const snap = await watchUntil(db, id, 'the three connections with their bytes', (x) =>
      JSON.stringify(conns(x).map(keyOf).sort()) === JSON.stringify(want) &&
      conns(x).filter((c) => c.proto === 6).every((c) => c.rxBytes === PEER_SENDS && c.txBytes !== null && c.txBytes >= SENT && c.txBytes <= SENT + 1),
    );
    assert.equal(snap.connections, 3, 'nothing else is listed as the app’s');
    for (const c of conns(snap)) {
      assert.equal(c.state, 1, `${keyOf(c)} is established (TCP) or connected (UDP)`);
      assert.equal(c.inbound, false);
    }
    const udp = conns(snap).find((c) => c.proto === 17)!;
    assert.deepEqual([udp.rxBytes, udp.txBytes], [null, null], 'UDP has no byte counts');
    assert.deepEqual(snap.sockets.filter((x) => x.listening).map((x) => [x.proto, x.localPort, x.state]), [[6, LISTEN, 10]], 'the listener is an open port');
    assert.equal(snap.listening, 1);
    assert.ok(Date.now() - snap.takenAt < 60_000, 'the snapshot is recent');
  });

  test('a connection the app closes leaves the snapshot; the rest stays', async () => {
    s.kill(app.pid, 'SIGUSR2');
    const snap = await watchUntil(db, id, 'the IPv4 connection gone', (x) => !conns(x).some((c) => c.remotePort === 7501));
    assert.deepEqual(conns(snap).map((c) => c.remotePort).sort(), [7502, 7503]);
  });

  test('when the app ends, its snapshot is empty', async () => {
    s.kill(app.pid, 'SIGTERM');
    await app.done;
    const snap = await watchUntil(db, id, 'no socket left', (x) => x.sockets.length === 0);
    assert.deepEqual([snap.connections, snap.listening], [0, 0]);
  });
});
