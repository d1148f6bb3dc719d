/**
 * What an NFTSet= drop-in buys, on the real kernel: the firewall of an app whose service
 * has no cgroup yet, plus the set systemd ≥ 255 fills (emulated here the way systemd does
 * it: the unit's new cgroup is added to the set before its first process runs). The
 * service's very first datagram already meets its rules, also after a restart into a new
 * cgroup; without the element it would have passed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmdirSync } from 'node:fs';
import { createSandbox, type Link, type Sandbox } from '../../collector/sandbox/sandbox';
import { firewallCommands } from '../../lib/nft/firewall';
import { fwCgroupSet } from '../../lib/nft/nftset';
import { validateAppPolicy } from '../../lib/rules/model';
import { peerTruth, TRAFFIC, waitListening } from './helpers';

const node = process.execPath;
const APP_ID = 7;

describe('NFTSet= sets bind a service to its rules before it runs', () => {
  let s: Sandbox;
  let wlan: Link;
  let truth: Awaited<ReturnType<typeof peerTruth>>;

  before(async () => {
    s = await createSandbox();
    wlan = await s.addLink({ name: 'wlan0', subnet: 23 });
    truth = await peerTruth(s, [7301]);
    await s.spawn([node, TRAFFIC, 'serve-udp', wlan.peerV4, '7301'], { net: 'peer' });
    await waitListening(s, 7301, { udp: true, net: 'peer' });
    const policy = validateAppPolicy({ app: 'web.service', defaultIn: 'inherit', defaultOut: 'drop', quotaBytes: null, quotaNetwork: 'any', quotaCycleDay: 1 });
    assert.ok(policy.ok, policy.ok ? '' : policy.message);
    // The service has no cgroup yet: only the set systemd fills can bind it (the collector's plan where systemd ≥ 255).
    const fw = firewallCommands({ rules: [], apps: [{ id: APP_ID, policy: policy.value, quotaUsed: 0 }], cgroups: [], ifaces: [{ name: 'wlan0', kind: 'wifi', metered: false }], systemdSets: true });
    assert.ok(fw.commands.some((c) => c.includes(`@${fwCgroupSet(APP_ID)} goto`)), 'the plan dispatches on the unit\'s set');
    await s.execOk(['nft', '-f', '-'], { input: `${fw.commands.join('\n')}\n` });
  });

  after(async () => {
    await s?.close();
  });

  const sent = async () => (await truth()).get('in-7301u')?.packets ?? 0;
  // A dropped datagram fails the sender's sendmsg (EPERM), so the exit code is not asserted; the peer's count is.
  const send = (cgroup: string, n: number) => s.exec([node, TRAFFIC, 'udp-send', wlan.peerV4, '7301', String(n), '200'], { cgroup });
  /** systemdStart does what systemd does for a unit with NFTSet=: cgroup first, set element, then the process. */
  const systemdStart = async (unit: string) => {
    s.mkCgroup(unit);
    await s.execOk(['nft', 'add', 'element', 'inet', 'appnet', fwCgroupSet(APP_ID), `{ "${unit}" }`]);
  };

  test('without the set element the new cgroup is not bound and its traffic passes', async () => {
    const before = await sent();
    await send('system.slice/web.service', 5);
    assert.equal((await sent()) - before, 5);
    rmdirSync(s.cgroupPath('system.slice/web.service'));
  });

  test('with the element added at unit start, the first datagram already meets the drop policy', async () => {
    await systemdStart('system.slice/web.service');
    const before = await sent();
    await send('system.slice/web.service', 5);
    assert.equal((await sent()) - before, 0, 'nothing from web.service reached the peer');
    await send('system.slice/other.service', 3);
    assert.equal((await sent()) - before, 3, 'other services are not affected');
  });

  test('after a restart into a new cgroup (new id), systemd adds the new one and the rules hold with no gap', async () => {
    const old = s.cgroupPath('system.slice/web.service');
    rmdirSync(old);
    await systemdStart('system.slice/web.service');
    const before = await sent();
    await send('system.slice/web.service', 4);
    assert.equal((await sent()) - before, 0);
    const listing = await s.execOk(['nft', 'list', 'set', 'inet', 'appnet', fwCgroupSet(APP_ID)]);
    assert.match(listing, /type cgroupsv2/);
  });
});
