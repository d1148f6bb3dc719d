/**
 * Naming other network namespaces' interfaces (collector/sources/netns-names.ts) on a recorded
 * /proc: a container's process whose namespace has eth0 at index 2, beside one in the
 * collector's own namespace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetnsNames, parseSnmp6Index } from '../../collector/sources/netns-names';
import { classifyInterface, foreignIfaceName, isContainerLink, isForeignIface } from '../../lib/netkind';

/** fakeProc records what the collector reads: ns/net links, dev_snmp6 files, a cgroup's processes. */
function fakeProc(): { proc: string; cgroup: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'appnet-netns-'));
  const proc = join(dir, 'proc');
  const ns = (pid: string, inode: number) => {
    mkdirSync(join(proc, pid, 'ns'), { recursive: true });
    symlinkSync(`net:[${inode}]`, join(proc, pid, 'ns', 'net'));
  };
  const snmp6 = (pid: string, ifaces: Record<string, number>) => {
    mkdirSync(join(proc, pid, 'net', 'dev_snmp6'), { recursive: true });
    for (const [name, index] of Object.entries(ifaces)) writeFileSync(join(proc, pid, 'net', 'dev_snmp6', name), `ifIndex                         \t${index}\nIp6InReceives                   \t7\n`);
  };
  ns('self', 4026531840);
  ns('100', 4026531840); // cgexec, in the collector's namespace
  snmp6('100', { lo: 1, wwan0: 2 });
  ns('200', 4026532290); // the container's process
  snmp6('200', { lo: 1, eth0: 2 });
  const cgroup = join(dir, 'docker-c0ffee123456.scope');
  mkdirSync(cgroup);
  writeFileSync(join(cgroup, 'cgroup.procs'), '100\n200\n');
  return { proc, cgroup, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

test("another namespace's interface is named as that namespace names it, never as the collector's does", () => {
  const f = fakeProc();
  try {
    const names = new NetnsNames({ procRoot: f.proc, cgroupDir: (id) => (id === 42 ? f.cgroup : null) });
    assert.equal(names.name(42, 2), 'eth0@netns4026532290', "the container's eth0, not the host's wwan0 of the same index");
    assert.equal(names.name(42, 7), 'if7@netns', 'an index no process of the cgroup has: by index');
    assert.equal(names.name(43, 2), 'if2@netns', 'a cgroup not known');
    rmSync(join(f.proc, '200'), { recursive: true });
    assert.equal(names.name(42, 2), 'eth0@netns4026532290', 'found once, kept after the process ended');
  } finally {
    f.remove();
  }
});

test('dev_snmp6 files give the index; the labels are container links, never a host kind', () => {
  assert.equal(parseSnmp6Index('ifIndex                         \t12\nIp6InReceives \t0\n'), 12);
  assert.equal(parseSnmp6Index('Ip6InReceives \t0\n'), null);
  assert.equal(foreignIfaceName(null, 3, null), 'if3@netns');
  for (const name of ['eth0@netns4026532290', 'wlan0@netns1', 'if2@netns']) {
    assert.ok(isForeignIface(name));
    const kind = classifyInterface({ name, type: null, devtype: null, wireless: false, driver: null });
    assert.equal(kind, 'virtual', `${name} is no ${kind}`);
    assert.ok(isContainerLink(name, kind), `${name} is on the container links network`);
  }
  assert.ok(!isForeignIface('wwan0') && !isForeignIface('veth1a2b'));
});
