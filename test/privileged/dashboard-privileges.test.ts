/**
 * Started as root — by `appnet start` (which runs `appnet serve --user appnet`) or by hand —
 * the dashboard ends up as the web account with an empty capability bounding set and
 * no_new_privs, as the systemd unit has it (#17.9): no setuid binary or file capability can
 * hand it privileges back. The process checked is the one that listens on the port.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { parseProcStatusCaps, parseProcStatusUids } from '../../lib/security/caps';
import { type Dashboard, IS_ROOT, login, raw, startDashboard } from '../security/helpers';

let d: Dashboard | undefined;
before(async () => {
  if (IS_ROOT) d = await startDashboard();
});
after(async () => d?.stop());

/** serverPid is the process that serves: the started one, or the one it launched (root hands over). */
function serverPid(pid: number): number {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return children.length === 1 ? children[0] : pid;
}

test('the serving process has no capabilities, an empty bounding set and no_new_privs', { skip: !IS_ROOT && 'needs root' }, async () => {
  const dash = d!;
  const pid = serverPid(dash.pid);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  assert.ok(parseProcStatusUids(status).every((u) => u !== 0), 'not root');
  const caps = parseProcStatusCaps(status);
  assert.deepEqual(caps, { effective: 0n, permitted: 0n, inheritable: 0n, bounding: 0n, ambient: 0n });
  assert.match(status, /^NoNewPrivs:\s+1$/m);
  // It is the process that answers: the dashboard works.
  const cookie = await login(dash);
  assert.equal((await raw(dash, { path: '/api/status', headers: { Cookie: cookie } })).status, 200);
  assert.ok(!readFileSync(`/proc/${pid}/environ`, 'utf8').includes(dash.token), 'the secret is not in its environment');
});
