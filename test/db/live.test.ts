/**
 * The live view's snapshot in the store (migration 090): a store from before it reads as "no
 * snapshot" and upgrades in place; a snapshot is replaced whole per app, read connections first
 * with learned host names, deleted per app or all; the read uses its index.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { join } from 'node:path';
import { migrate, openDb } from '../../db/open';
import { deleteLiveSockets, getLiveSnapshot, replaceLiveSockets } from '../../db/queries/live';
import type { AppSockets, LiveSocket } from '../../lib/live';
import { migrationsBefore } from '../fixtures/migrations';
import { tempDir } from '../privileged/helpers';

const tmp = tempDir();
after(() => tmp.remove());

const sock = (o: Partial<LiveSocket>): LiveSocket => ({
  proto: 6, state: 1, local: '10.0.0.1', localPort: 40000, remote: '10.0.0.2', remotePort: 443, rxBytes: 0, txBytes: 0, listening: false, inbound: false, ...o,
});

test('a store from before migration 090 has no snapshot, and gets the tables when the collector migrates it', () => {
  const db = openDb(join(tmp.dir, 'old.db'));
  migrate(db, migrationsBefore(tmp.dir, 90));
  assert.equal(getLiveSnapshot(db, 1), null);
  migrate(db);
  replaceLiveSockets(db, 5000, [{ appId: 1, connections: 0, listening: 0, sockets: [] }]);
  assert.deepEqual(getLiveSnapshot(db, 1), { takenAt: 5000, connections: 0, listening: 0, sockets: [] });
  db.close();
});

test('a snapshot is replaced whole per app and read busiest first, open ports last, with host names', () => {
  const db = openDb(join(tmp.dir, 'live.db'), { migrate: true });
  db.prepare('INSERT INTO dest_names (addr, name, seen_at, expires_at) VALUES (?, ?, ?, ?), (?, ?, ?, ?)').run('10.0.0.2', 'old.example', 1, 2, '10.0.0.2', 'new.example', 5, 6);
  const a: AppSockets = {
    appId: 1, connections: 3, listening: 1,
    sockets: [
      sock({ remote: '10.0.0.3', rxBytes: 10 }),
      sock({ remote: '10.0.0.2', rxBytes: 500, txBytes: 20 }),
      sock({ proto: 17, state: 1, remote: '10.0.0.53', remotePort: 53, rxBytes: null, txBytes: null }),
      sock({ state: 10, local: '', localPort: 8080, remote: '', remotePort: 0, listening: true }),
    ],
  };
  replaceLiveSockets(db, 1000, [a, { appId: 2, connections: 1, listening: 0, sockets: [sock({ remote: '10.9.9.9' })] }]);
  const s = getLiveSnapshot(db, 1)!;
  assert.deepEqual([s.takenAt, s.connections, s.listening], [1000, 3, 1]);
  assert.deepEqual(s.sockets.map((x) => [x.remote, x.host, x.listening]), [
    ['10.0.0.2', 'new.example', false],
    ['10.0.0.3', null, false],
    ['10.0.0.53', null, false],
    ['', null, true],
  ]);
  assert.deepEqual(s.sockets[2], { proto: 17, state: 1, listening: false, inbound: false, local: '10.0.0.1', localPort: 40000, remote: '10.0.0.53', remotePort: 53, rxBytes: null, txBytes: null, host: null });
  replaceLiveSockets(db, 2000, [{ appId: 1, connections: 1, listening: 0, sockets: [sock({ remote: '10.0.0.4', inbound: true })] }]);
  const t = getLiveSnapshot(db, 1)!;
  assert.deepEqual([t.takenAt, t.connections, t.sockets.map((x) => [x.remote, x.inbound])], [2000, 1, [['10.0.0.4', true]]]);
  assert.equal(getLiveSnapshot(db, 2)!.sockets.length, 1, "another app's snapshot is untouched");
  deleteLiveSockets(db, [1]);
  assert.equal(getLiveSnapshot(db, 1), null);
  assert.ok(getLiveSnapshot(db, 2));
  deleteLiveSockets(db);
  assert.equal(getLiveSnapshot(db, 2), null);
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM live_sockets').get() as { n: number }).n, 0);
  db.close();
});

test("an app's rows are read through the index", () => {
  const db = openDb(join(tmp.dir, 'plan.db'), { migrate: true });
  const plan = db.prepare('EXPLAIN QUERY PLAN SELECT * FROM live_sockets WHERE app_id = ?').all(1) as Array<{ detail: string }>;
  assert.match(plan.map((p) => p.detail).join('\n'), /USING INDEX live_sockets_app/);
  db.close();
});
