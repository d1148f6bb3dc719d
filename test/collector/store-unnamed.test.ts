/**
 * A cgroup that names no program (an unnamed systemd-run scope) is stored once its first
 * process names it, so one run is one app, not part "systemd-run (unnamed)" and part
 * "<exe> (no own scope)"; one that ends without a process seen keeps the generic name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDb } from '../../db/open';
import { PollStore } from '../../collector/store';
import type { SeenCgroup } from '../../collector/sources/cgroups';

const appOf = (db: ReturnType<typeof openDb>, cgroupId: number) =>
  db.prepare('SELECT a.app_key AS k FROM cgroups c JOIN apps a ON a.id = c.app_id WHERE c.cgroup_id = ?').get(cgroupId) as { k: string } | undefined;

test('an unnamed scope waits for its first process to be named; an empty one that ends is stored generic', () => {
  const db = openDb(':memory:', { migrate: true });
  const store = new PollStore(db, () => {});
  const t0 = Date.UTC(2026, 0, 5, 12);
  const run: SeenCgroup = { id: 501, path: 'system.slice/run-u101.scope', level: 2, firstSeen: t0, goneAt: null, samplePid: null, stored: false };
  const svc: SeenCgroup = { id: 502, path: 'system.slice/nginx.service', level: 2, firstSeen: t0, goneAt: null, samplePid: null, stored: false };
  const empty: SeenCgroup = { id: 503, path: 'system.slice/run-u102.scope', level: 2, firstSeen: t0, goneAt: null, samplePid: null, stored: false };
  const poll = (now: number) => {
    for (const c of store.storePoll({ now, cgroups: [run, svc, empty], ifaces: [], deltas: [], next: [], gone: [], prev: new Map() })) c.stored = true;
  };
  poll(t0 + 2000);
  assert.equal(appOf(db, 502)?.k, 'nginx.service', 'a named unit is stored at once');
  assert.equal(appOf(db, 501), undefined, 'the unnamed scope without a process waits');
  run.samplePid = process.pid; // this test's own process: comm "node"
  empty.goneAt = t0 + 3000;
  poll(t0 + 4000);
  assert.equal(appOf(db, 501)?.k, 'exe:node', 'named after the process that ran in it');
  assert.equal(appOf(db, 503)?.k, 'run.scope', 'ended without a process: the generic name');
  db.close();
});
