/**
 * The long-running helper's supervision (collector/native-helper.ts) with real processes: one
 * that answers until it is killed, and one that cannot start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HelperServer, type HelperEnd } from '../../collector/native-helper';

// Answers each line with "pid PID" and "end"; its pid says which process answered.
const ECHO = ['-c', 'while read -r l; do echo "pid $$"; echo end; done'];

test('a helper killed between requests is started again at once by the next request, and its end is reported once', async () => {
  const ends: HelperEnd[] = [];
  const h = new HelperServer('/bin/sh', ECHO, { onExit: (e) => ends.push(e) });
  try {
    const first = Number(/pid (\d+)/.exec(await h.request('x'))![1]);
    process.kill(first, 'SIGKILL');
    for (let i = 0; i < 100 && ends.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(ends, [{ why: 'killed by SIGKILL', ran: true, retryAt: 0 }]);
    const second = Number(/pid (\d+)/.exec(await h.request('x'))![1]);
    assert.notEqual(second, first, 'a new process answered');
    assert.equal(h.failedStarts, 0, 'a helper that had answered is no failed start');
  } finally {
    h.close();
  }
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(ends.length, 1, 'closing it is no end to report');
});

test('a helper that cannot start is tried again only after a back-off that grows', async () => {
  const ends: HelperEnd[] = [];
  const h = new HelperServer('/bin/sh', ['-c', 'echo "cannot load" >&2; exit 1'], { onExit: (e) => ends.push(e) });
  await assert.rejects(h.request('x'), /exited with status 1: cannot load/);
  assert.equal(h.failedStarts, 1);
  assert.deepEqual([ends[0].why, ends[0].ran], ['exited with status 1: cannot load', false]);
  await assert.rejects(h.request('x'), /could not be started 1 times in a row \(exited with status 1: cannot load\); next try in 1 s/);
  assert.equal(ends.length, 1, 'no new start within the back-off');
  await new Promise((r) => setTimeout(r, 1100));
  await assert.rejects(h.request('x'), /cannot load/);
  assert.equal(h.failedStarts, 2);
  await assert.rejects(h.request('x'), /next try in 2 s/);
  h.close();
});
