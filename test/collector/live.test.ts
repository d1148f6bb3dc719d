/**
 * Live connections between the collector and the store (issue 19): a look over the real control
 * socket starts the listings without re-planning the firewall; each listing replaces the watched
 * apps' snapshots (names from learned DNS answers), other apps get none; an app nobody looks at
 * any more loses its rows; a lister that is not built or fails is told to the page in a sentence.
 * The sockets come from a recorded sockdiag listing (the real kernel: test/privileged/live.test.ts).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDb, type Db } from '../../db/open';
import { closeStore } from '../../db/store-file';
import { upsertApp, upsertCgroup } from '../../db/queries/apps';
import { getLiveSnapshot } from '../../db/queries/live';
import { channelHandlers } from '../../collector/channel/handlers';
import { startChannelServer, type ChannelServer } from '../../collector/channel/server';
import { LiveConnections, type SocketLister } from '../../collector/live';
import { controlSocketPath } from '../../lib/channel';
import { appIdentity } from '../../lib/identity';
import { parseSockdiag, type SocketEntry } from '../../lib/live';
import { tempDir } from '../privileged/helpers';

const LISTING = `sockdiag 1
sockets [[6,10,4242,"",8080,"",0,0,0],[6,1,4242,"10.0.0.1",8080,"10.0.0.9",51000,1200,34],[6,1,4242,"fd00::1",40000,"2001:db8::5",443,5000,1500],[17,1,4242,"10.0.0.1",5353,"10.0.0.53",53,null,null],[6,1,777,"10.0.0.1",40002,"10.0.0.2",22,10,10],[6,1,31337,"10.0.0.1",40003,"10.0.0.3",22,10,10]]
end 6
`;

/** A lister serving whatever the test sets, counting reads and closes. */
class FixtureLister implements SocketLister {
  available = true;
  entries: SocketEntry[] = parseSockdiag(LISTING);
  failure: string | null = null;
  reads = 0;
  closes = 0;
  async read(): Promise<SocketEntry[]> {
    this.reads++;
    if (this.failure) throw new Error(this.failure);
    return this.entries;
  }
  close(): void {
    this.closes++;
  }
}

describe('live connections in the collector', () => {
  let tmp: ReturnType<typeof tempDir>;
  let dbPath: string;
  let db: Db;
  let server: ChannelServer;
  let writes = 0;
  let lister: FixtureLister;
  let live: LiveConnections;
  let appA: number;
  let appB: number;
  const logged: string[] = [];
  let getLiveView: typeof import('../../app/_data/live').getLiveView;

  before(async () => {
    tmp = tempDir();
    dbPath = join(tmp.dir, 'appnet.db');
    db = openDb(dbPath, { migrate: true });
    appA = upsertApp(db, appIdentity('system.slice/a.service'), 1000);
    appB = upsertApp(db, appIdentity('system.slice/b.service'), 1000);
    upsertCgroup(db, { cgroupId: 4242, path: 'system.slice/a.service', level: 2, appId: appA }, 1000);
    upsertCgroup(db, { cgroupId: 777, path: 'system.slice/b.service', level: 2, appId: appB }, 1000);
    db.prepare('INSERT INTO dest_names (addr, name, seen_at, expires_at) VALUES (?, ?, ?, ?)').run('2001:db8::5', 'cdn.example', 1000, 2000);
    lister = new FixtureLister();
    // A timer that never fires by itself here: the test takes each listing (tick).
    live = new LiveConnections({ db, sockets: lister, log: (_l, m) => logged.push(m), everyMs: 3600_000 });
    server = await startChannelServer({ path: controlSocketPath(dbPath), dbPath, handlers: channelHandlers(db, { live }), onWrite: () => writes++ });
    process.env.APPNET_DB = dbPath;
    ({ getLiveView } = await import('../../app/_data/live'));
  });
  after(async () => {
    await server?.close();
    await live?.close();
    closeStore(db);
    tmp.remove();
  });

  test('a look from the page starts a listing at once and re-plans nothing; the page gets the watched app only', async () => {
    const first = await getLiveView(db, appA);
    assert.equal(writes, 0, 'a look is not a write: the firewall is not re-planned');
    assert.ok(first.state === 'waiting' || first.state === 'ok', JSON.stringify(first));
    await live.tick();
    const v = await getLiveView(db, appA);
    assert.equal(v.state, 'ok', JSON.stringify(v));
    if (v.state !== 'ok') return;
    assert.ok(!v.stale);
    assert.deepEqual(v.connections.map((c) => [c.protocol, c.remote, c.remotePort, c.state, c.host, c.rxBytes, c.txBytes, c.inbound]), [
      ['tcp', '2001:db8::5', 443, 'established', 'cdn.example', 5000, 1500, false],
      ['tcp', '10.0.0.9', 51000, 'established', null, 1200, 34, true],
      ['udp', '10.0.0.53', 53, 'connected', null, null, null, false],
    ]);
    assert.deepEqual(v.listening.map((p) => [p.protocol, p.localPort, p.state]), [['tcp', 8080, 'listen']]);
    assert.deepEqual([v.totalConnections, v.totalListening], [3, 1]);
    assert.equal(getLiveSnapshot(db, appB), null, 'an app nobody looks at is not stored');
  });

  test('each listing replaces the snapshot whole: a closed connection is gone from it', async () => {
    lister.entries = lister.entries.filter((e) => e.remote !== '2001:db8::5');
    await live.tick();
    const s = getLiveSnapshot(db, appA)!;
    assert.deepEqual(s.sockets.filter((x) => !x.listening).map((x) => x.remote), ['10.0.0.9', '10.0.0.53']);
    assert.equal(s.connections, 2);
  });

  test('an app nobody has looked at for the hold time loses its rows, and the listings stop', async () => {
    const reads = lister.reads;
    const closes = lister.closes;
    live.watch(appB, Date.now() - 60_000); // looked at long ago: already expired
    await live.tick();
    assert.equal(getLiveSnapshot(db, appB), null);
    assert.ok(getLiveSnapshot(db, appA), 'the app still watched keeps its snapshot');
    assert.equal(lister.reads, reads + 1);
    live.watch(appA, Date.now() - 60_000);
    await live.tick();
    assert.equal(getLiveSnapshot(db, appA), null, 'no one watches: its rows are deleted');
    assert.equal(lister.reads, reads + 1, 'no listing when nobody watches');
    assert.equal(lister.closes, closes + 1, 'the lister is ended');
  });

  test('a failing listing is logged once and told to the page; a lister that is not built too', async () => {
    lister.failure = 'listing sockets: Operation not permitted';
    live.watch(appA);
    await live.tick();
    await live.tick();
    assert.equal(logged.filter((m) => /Operation not permitted/.test(m)).length, 1);
    const v = await getLiveView(db, appA);
    assert.deepEqual(v, { state: 'unavailable', message: 'The collector cannot list live connections: listing sockets: Operation not permitted.' });
    lister.failure = null;
    await live.tick();
    assert.equal((await getLiveView(db, appA)).state, 'ok', 'it recovers with the next good listing');
    lister.available = false;
    const off = await getLiveView(db, appA);
    assert.equal(off.state, 'unavailable');
    assert.match(off.state === 'unavailable' ? off.message : '', /sockdiag is not built \(scripts\/ensure-deps\.sh builds it\)/);
    lister.available = true;
  });

  test('without a collector the page says it is not running; a store served without a watcher says so', async () => {
    await server.close();
    const down = await getLiveView(db, appA);
    assert.equal(down.state, 'unavailable');
    assert.match(down.state === 'unavailable' ? down.message : '', /The collector is not running, and live connections come from it/);
    server = await startChannelServer({ path: controlSocketPath(dbPath), dbPath, handlers: channelHandlers(db) });
    const none = await getLiveView(db, appA);
    assert.deepEqual(none, { state: 'unavailable', message: 'The collector cannot list live connections: this collector does not list live connections.' });
  });
});
