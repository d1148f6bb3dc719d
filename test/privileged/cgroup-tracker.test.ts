/**
 * The cgroup tracker on a real cgroup2 tree (a sandbox's): new and removed cgroups are
 * followed by inotify without walking the tree, a re-created service gets its new id, and
 * an id the watches could not see (below a scope) is found by the rescan a counter triggers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmdirSync, statSync } from 'node:fs';
import { createSandbox, type Sandbox } from '../../collector/sandbox/sandbox';
import { CgroupTracker } from '../../collector/sources/cgroups';
import { sleep } from './helpers';

const APPS = 'user.slice/user-1000.slice/user@1000.service/app.slice';

describe('cgroup tracker', () => {
  let s: Sandbox;
  let t: CgroupTracker;
  const idOf = (p: string) => statSync(s.cgroupPath(p)).ino;
  /** until polls refresh() until cond holds (inotify events arrive asynchronously). */
  const until = async (cond: () => boolean, what: string) => {
    for (let i = 0; i < 50 && !cond(); i++) {
      await sleep(20);
      t.refresh(Date.now());
    }
    assert.ok(cond(), what);
  };

  before(async () => {
    s = await createSandbox();
    s.mkCgroup('system.slice');
    s.mkCgroup(APPS);
    t = new CgroupTracker(s.cgroupDir, { watch: true });
    t.refresh(Date.now());
  });

  after(async () => {
    t?.close();
    await s?.close();
  });

  test('creates and removes are followed without rescanning the tree', async () => {
    const rescans = t.rescans;
    s.mkCgroup('system.slice/web.service');
    s.mkCgroup(`${APPS}/app-gnome-firefox-1.scope`);
    const web = idOf('system.slice/web.service');
    const ff = idOf(`${APPS}/app-gnome-firefox-1.scope`);
    await until(() => t.seen.get(web)?.goneAt === null && t.seen.get(ff)?.goneAt === null, 'both new cgroups are live');
    const live = t.refresh(Date.now());
    assert.equal(live.find((c) => c.id === ff)?.level, 5);
    rmdirSync(s.cgroupPath(`${APPS}/app-gnome-firefox-1.scope`));
    await until(() => t.seen.get(ff)?.goneAt !== null, 'the removed scope is stamped gone');
    assert.ok(!t.refresh(Date.now()).some((c) => c.id === ff), 'and is no longer live');
    // A service restarted into a new cgroup: same path, new id; the old one is gone.
    rmdirSync(s.cgroupPath('system.slice/web.service'));
    s.mkCgroup('system.slice/web.service');
    const web2 = idOf('system.slice/web.service');
    await until(() => t.seen.get(web2)?.goneAt === null && t.seen.get(web)?.goneAt !== null, 'the new incarnation is live, the old one gone');
    assert.equal(t.rescans, rescans, 'no full rescan was needed');
  });

  test('a cgroup no watch can see is found when a counter names its id; an id that stays unknown is not looked for again', async () => {
    // Scopes are not watched (systemd keeps them leaves), so a child of one is invisible to inotify.
    s.mkCgroup(`${APPS}/app-flatpak-x-2.scope`);
    const scope = idOf(`${APPS}/app-flatpak-x-2.scope`);
    await until(() => t.seen.has(scope), 'the scope itself is seen');
    s.mkCgroup(`${APPS}/app-flatpak-x-2.scope/sub`);
    const sub = idOf(`${APPS}/app-flatpak-x-2.scope/sub`);
    await sleep(100);
    t.refresh(Date.now());
    assert.equal(t.seen.has(sub), false, 'not seen by the watches');
    const rescans = t.rescans;
    t.resolve([sub, 999_999_999], Date.now());
    assert.equal(t.seen.get(sub)?.path, `${APPS}/app-flatpak-x-2.scope/sub`);
    assert.equal(t.rescans, rescans + 1);
    t.resolve([sub, 999_999_999], Date.now());
    assert.equal(t.rescans, rescans + 1, 'the id of a cgroup that is gone does not trigger a rescan per poll');
  });

  test('a process in a cgroup with children is seen (it adds a populated level)', async () => {
    const r = await s.spawn(['sleep', '30'], { cgroup: 'system.slice/inner.service' });
    s.mkCgroup('system.slice/inner.service/child');
    const inner = idOf('system.slice/inner.service');
    await until(() => t.refresh(Date.now()).find((c) => c.id === inner)?.populated === true, 'inner cgroup populated');
    s.kill(r.pid, 'SIGKILL');
    await r.done;
    await until(() => t.refresh(Date.now()).find((c) => c.id === inner)?.populated === false, 'and empty again once its process ended');
  });

  test('an unnamed scope\'s first process is seen when it joins, even if it ends before the next refresh', async () => {
    const path = 'system.slice/run-u77.scope';
    s.mkCgroup(path);
    const id = idOf(path);
    await until(() => t.seen.get(id)?.goneAt === null, 'the empty scope is seen');
    assert.equal(t.seen.get(id)?.samplePid, null, 'no process yet');
    const r = await s.exec(['sleep', '0.3'], { cgroup: path });
    assert.equal(r.code, 0);
    // No refresh in between: only the scope's own cgroup.events can have told the tracker.
    for (let i = 0; i < 50 && t.seen.get(id)?.samplePid === null; i++) await sleep(20);
    assert.notEqual(t.seen.get(id)?.samplePid, null, 'the process that ran in it was seen');
  });
});
