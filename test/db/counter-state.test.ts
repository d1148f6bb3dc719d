/**
 * Counter state is what a restarted collector resumes from: rows are updated by an id kept in
 * memory, so a transaction that fails must leave neither a stale id nor a lost or doubled row.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { migrate, openDb } from '../../db/open';
import { COMPACT_EVERY, CounterIds, deleteCounterState as deleteState, getCounterStates, putCounterStates as putStates, type StoredState } from '../../db/queries/state';
import type { Db } from '../../db/open';

// The collector's store owns one CounterIds per connection; so does each connection here.
const owners = new Map<Db, CounterIds>();
const idsOf = (db: Db) => owners.get(db) ?? owners.set(db, new CounterIds(db)).get(db)!;
const putCounterStates = (db: Db, states: StoredState[], opts?: { fold?: boolean }) => putStates(db, idsOf(db), states, opts);
const deleteCounterState = (db: Db, set: string, key: string) => deleteState(db, idsOf(db), set, key);
const forgetCounterIds = (db: Db) => idsOf(db).forget();
import { migrationsBefore } from '../fixtures/migrations';

const dir = mkdtempSync(join(tmpdir(), 'appnet-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const st = (elemKey: string, bytes: number, setName = 'acct_out'): StoredState => ({ setName, elemKey, tableHandle: 7, bytes, packets: bytes / 100, seenAt: 1000, expiresAt: null });
const stored = (path: string) => {
  const db = openDb(path, { readonly: true });
  try {
    return Object.fromEntries(getCounterStates(db).map((s) => [`${s.setName}/${s.elemKey}`, s.bytes]));
  } finally {
    db.close();
  }
};

test('counter state round-trips, updates in place and survives a reopen', () => {
  const path = join(dir, 'a.db');
  const db = openDb(path, { migrate: true });
  putCounterStates(db, [st('1|wlan0', 100), st('1|wlan0', 300, 'acct_in'), st('2|wlan0', 500)]);
  putCounterStates(db, [st('1|wlan0', 200)]);
  deleteCounterState(db, 'acct_out', '2|wlan0');
  db.close();
  assert.deepEqual(stored(path), { 'acct_out/1|wlan0': 200, 'acct_in/1|wlan0': 300 });
  // A new connection learns the ids from the store and keeps updating the same rows.
  const again = openDb(path);
  putCounterStates(again, [st('1|wlan0', 900), st('3|wlan0', 100)]);
  again.close();
  assert.deepEqual(stored(path), { 'acct_out/1|wlan0': 900, 'acct_in/1|wlan0': 300, 'acct_out/3|wlan0': 100 });
});

test('a failed transaction leaves the state as it was, and the next write is exact', () => {
  const path = join(dir, 'b.db');
  const db = openDb(path, { migrate: true });
  putCounterStates(db, [st('1|wlan0', 100), st('2|wlan0', 100)]);
  const failing = db.transaction(() => {
    putCounterStates(db, [st('1|wlan0', 150), st('4|wlan0', 50)]); // a new row under a fresh id
    deleteCounterState(db, 'acct_out', '2|wlan0');
    throw new Error('disk full');
  });
  assert.throws(failing, /disk full/);
  forgetCounterIds(db); // what the collector does when a poll's transaction fails
  assert.deepEqual(stored(path), { 'acct_out/1|wlan0': 100, 'acct_out/2|wlan0': 100 });
  putCounterStates(db, [st('2|wlan0', 120), st('4|wlan0', 60), st('5|wlan0', 70)]);
  db.close();
  assert.deepEqual(stored(path), { 'acct_out/1|wlan0': 100, 'acct_out/2|wlan0': 120, 'acct_out/4|wlan0': 60, 'acct_out/5|wlan0': 70 });
});

test('a rolled-back insert alone needs no reload: its id is written next time', () => {
  const path = join(dir, 'c.db');
  const db = openDb(path, { migrate: true });
  putCounterStates(db, [st('1|wlan0', 100)]);
  assert.throws(db.transaction(() => {
    putCounterStates(db, [st('9|wlan0', 10)]);
    throw new Error('interrupted');
  }), /interrupted/);
  putCounterStates(db, [st('9|wlan0', 20), st('8|wlan0', 5)]);
  db.close();
  assert.deepEqual(stored(path), { 'acct_out/1|wlan0': 100, 'acct_out/9|wlan0': 20, 'acct_out/8|wlan0': 5 });
});

test('an older store keeps its counters through the upgrade to id-keyed rows', () => {
  const path = join(dir, 'd.db');
  const old = migrationsBefore(dir, 7);
  const db = openDb(path);
  migrate(db, old);
  const ins = db.prepare('INSERT INTO counter_state (set_name, elem_key, table_handle, bytes, packets, seen_at, expires_at) VALUES (?, ?, 7, ?, 1, 1000, NULL)');
  ins.run('acct_out', '1|wlan0', 100);
  ins.run('acct_in', '1|wlan0', 200);
  migrate(db);
  putCounterStates(db, [st('1|wlan0', 150), st('2|wlan0', 10)]);
  db.close();
  assert.deepEqual(stored(path), { 'acct_out/1|wlan0': 150, 'acct_in/1|wlan0': 200, 'acct_out/2|wlan0': 10 });
});

test('a busy poll appends one log record; a reopen reads rows then log; the log folds into the rows on a roll-up poll, or after COMPACT_EVERY polls', () => {
  const path = join(dir, 'e.db');
  const db = openDb(path, { migrate: true });
  const logRows = () => (db.prepare('SELECT COUNT(*) AS n FROM counter_log').get() as { n: number }).n;
  putCounterStates(db, [st('1|wlan0', 100), st('2|wlan0', 100), st('3|wlan0', 100)]);
  assert.equal(logRows(), 0, 'new counters get their rows at once');
  putCounterStates(db, [st('1|wlan0', 110), st('2|wlan0', 120)]);
  putCounterStates(db, [st('1|wlan0', 130), { ...st('3|wlan0', 300), expiresAt: 5000 }]);
  assert.equal(logRows(), 2);
  deleteCounterState(db, 'acct_out', '2|wlan0');
  assert.deepEqual(stored(path), { 'acct_out/1|wlan0': 130, 'acct_out/3|wlan0': 300 }, 'the log is read after the rows; a deleted counter stays gone');
  assert.equal(getCounterStates(db).find((s) => s.elemKey === '3|wlan0')?.expiresAt, 5000);
  assert.throws(db.transaction(() => {
    putCounterStates(db, [st('1|wlan0', 999)]);
    throw new Error('poll failed');
  }), /poll failed/);
  forgetCounterIds(db);
  assert.equal(logRows(), 2, 'a failed poll leaves no record');
  for (let k = 1; logRows() > 0; k++) {
    assert.ok(k <= COMPACT_EVERY.polls, `folded within ${COMPACT_EVERY.polls} polls`);
    putCounterStates(db, [st('1|wlan0', 130 + k)]);
  }
  const rows = db.prepare('SELECT elem_key AS k, bytes, expires_at AS e FROM counter_state ORDER BY elem_key').all();
  assert.deepEqual(rows, [{ k: '1|wlan0', bytes: 130 + COMPACT_EVERY.polls - 2, e: null }, { k: '3|wlan0', bytes: 300, e: 5000 }]);
  putCounterStates(db, [st('1|wlan0', 500)]);
  putCounterStates(db, [st('3|wlan0', 600)], { fold: true });
  assert.equal(logRows(), 0, 'the poll that rolled usage up folds the log too');
  assert.deepEqual(db.prepare('SELECT elem_key AS k, bytes FROM counter_state ORDER BY elem_key').all(), [{ k: '1|wlan0', bytes: 500 }, { k: '3|wlan0', bytes: 600 }]);
  db.close();
  assert.deepEqual(stored(path), { 'acct_out/1|wlan0': 500, 'acct_out/3|wlan0': 600 });
});
