/** listProcesses reads cgroup.procs under the configured root and names each process from /proc. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const root = mkdtempSync(join(tmpdir(), 'appnet-cg-'));
process.env.APPNET_CGROUP_ROOT = root;
after(() => rmSync(root, { recursive: true, force: true }));

test('lists the processes of live cgroups with their names and command lines, and ignores escapes', async () => {
  const { listProcesses } = await import('../../app/_data/processes');
  mkdirSync(join(root, 'system.slice/x.service'), { recursive: true });
  writeFileSync(join(root, 'system.slice/x.service/cgroup.procs'), `${process.pid}\n999999999\n`);
  writeFileSync(join(root, 'cgroup.procs'), `${process.pid}\n`);
  const ps = listProcesses(['system.slice/x.service', 'system.slice/gone.service']);
  assert.equal(ps.length, 2, 'a vanished pid is still listed by id, a missing cgroup is skipped');
  assert.equal(ps[0].pid, process.pid);
  assert.equal(ps[0].comm, 'node');
  assert.match(ps[0].cmdline, /node/);
  assert.equal(ps[1].comm, '?');
  assert.deepEqual(listProcesses(['../../..', 'a/../../../etc']).map((p) => p.cgroup), [''], 'paths cannot climb out of the cgroup root');
});
