import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firewallCommands } from '../../lib/nft/firewall';
import { validateAppPolicy, validateRule } from '../../lib/rules/model';

function input(systemdSets: boolean) {
  const r = validateRule({ app: 'postgresql.service', direction: 'in', action: 'allow', remote: '10.10.0.0/16' });
  const a = validateAppPolicy({ app: 'postgresql.service', defaultIn: 'drop' });
  const f = validateAppPolicy({ app: 'app:firefox', defaultOut: 'allow' });
  if (!r.ok || !a.ok || !f.ok) throw new Error('fixture rules must validate');
  return {
    rules: [{ id: 1, rule: r.value }],
    apps: [{ id: 4, policy: a.value, quotaUsed: 0 }, { id: 5, policy: f.value, quotaUsed: 0 }],
    cgroups: ['system.slice', 'system.slice/postgresql.service'],
    ifaces: [],
    systemdSets,
  };
}

test('with systemd NFTSet= available, a system service is dispatched on its set before the verdict maps', () => {
  const c = firewallCommands(input(true)).commands;
  assert.ok(c.includes('add set inet appnet fw_c4 { type cgroupsv2; }'));
  const setRule = c.indexOf('add rule inet appnet fw_input socket cgroupv2 level 2 @fw_c4 goto fw_a4_in');
  const vmap = c.indexOf('add rule inet appnet fw_input socket cgroupv2 level 2 vmap @fw_in');
  assert.ok(setRule >= 0 && vmap > setRule, 'the set is looked up first');
  assert.ok(!c.some((x) => x.startsWith('add rule inet appnet fw_output ')), 'postgresql restricts only inbound: no outbound lookup at all');
  assert.ok(!c.some((x) => x.includes('fw_c5')), 'desktop apps get no set: systemd does not start them as units');
  assert.ok(!c.some((x) => /^(flush|delete) set inet appnet fw_c/.test(x)), 'systemd\'s elements are never flushed by an apply');
});

test('without it, no sets and no extra per-packet lookups', () => {
  assert.ok(!firewallCommands(input(false)).commands.some((x) => x.includes('fw_c')));
});

test('a unit\'s set is looked up at its own level: a deeper app inside it with its own settings still wins', () => {
  const u = validateAppPolicy({ app: 'user@1000.service', defaultOut: 'drop' });
  const f = validateAppPolicy({ app: 'app:firefox', defaultOut: 'allow' });
  if (!u.ok || !f.ok) throw new Error('fixture policies must validate');
  const user = 'user.slice/user-1000.slice/user@1000.service';
  const c = firewallCommands({
    rules: [],
    apps: [{ id: 7, policy: u.value, quotaUsed: 0 }, { id: 8, policy: f.value, quotaUsed: 0 }],
    cgroups: ['user.slice', 'user.slice/user-1000.slice', user, `${user}/app.slice`, `${user}/app.slice/app-firefox-4711.scope`],
    ifaces: [],
    systemdSets: true,
  }).commands;
  const firefoxLookup = c.indexOf('add rule inet appnet fw_output socket cgroupv2 level 5 vmap @fw_out');
  const unitSet = c.indexOf('add rule inet appnet fw_output socket cgroupv2 level 3 @fw_c7 goto fw_a7_out');
  assert.ok(firefoxLookup >= 0 && unitSet > firefoxLookup, 'level 5 (Firefox) before the level-3 unit set');
  const unitMap = c.indexOf('add rule inet appnet fw_output socket cgroupv2 level 3 vmap @fw_out');
  assert.ok(unitMap < 0 || unitMap > unitSet, 'at the unit\'s own level the set comes first');
});

test('a template instance that is not running is dispatched at the level systemd will start it at', () => {
  // systemd starts an instance in its template's slice: system.slice/system-postgresql.slice/postgresql@15-main.service.
  // Socket-activated per-connection instances (app key sshd@.service) live there too.
  const pg = validateAppPolicy({ app: 'postgresql@15-main.service', defaultIn: 'drop' });
  const ssh = validateAppPolicy({ app: 'sshd@.service', defaultIn: 'drop' });
  if (!pg.ok || !ssh.ok) throw new Error('fixture settings must validate');
  const c = firewallCommands({ rules: [], apps: [{ id: 6, policy: pg.value, quotaUsed: 0 }, { id: 7, policy: ssh.value, quotaUsed: 0 }], cgroups: ['system.slice'], ifaces: [], systemdSets: true }).commands;
  assert.ok(c.includes('add rule inet appnet fw_input socket cgroupv2 level 3 @fw_c6 goto fw_a6_in'), c.filter((x) => x.includes('@fw_c')).join('\n'));
  assert.ok(c.includes('add rule inet appnet fw_input socket cgroupv2 level 3 @fw_c7 goto fw_a7_in'));
});
