import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindCgroups, firewallCommands, previewAppPolicy, previewRule, type FwApp, type FwRule } from '../../lib/nft/firewall';
import { parseFirewallCounters } from '../../lib/nft/firewall-parse';
import { validateAppPolicy, validateRule, type Rule } from '../../lib/rules/model';

const FF = 'user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-4711.scope';
const TREE = ['system.slice', 'system.slice/postgresql.service', 'system.slice/nginx.service', 'user.slice', 'user.slice/user-1000.slice',
  'user.slice/user-1000.slice/user@1000.service', 'user.slice/user-1000.slice/user@1000.service/app.slice', FF, `${FF}/child`];

function rule(id: number, input: Record<string, unknown>): FwRule {
  const v = validateRule(input);
  if (!v.ok) throw new Error(v.message);
  return { id, rule: v.value };
}
function app(id: number, input: Record<string, unknown>): FwApp {
  const v = validateAppPolicy(input);
  if (!v.ok) throw new Error(v.message);
  return { id, policy: v.value, quotaUsed: 0 };
}
const IFACES = [{ name: 'wwan0', kind: 'mobile', metered: true }, { name: 'wlan0', kind: 'wifi', metered: false }];

test('postgresql inbound from 10.10.0.0/16 only, dispatched by its cgroup', () => {
  const plan = firewallCommands({
    rules: [rule(7, { app: 'postgresql.service', direction: 'in', action: 'allow', remote: '10.10.0.0/16' })],
    apps: [app(3, { app: 'postgresql.service', defaultIn: 'reject' })],
    cgroups: TREE,
    ifaces: IFACES,
  });
  const c = plan.commands;
  assert.ok(c.includes('add rule inet appnet fw_a3_in ip saddr 10.10.0.0/16 counter name "fw_r7" accept comment "appnet:r7"'));
  assert.ok(c.includes('add rule inet appnet fw_a3_in meta l4proto tcp reject with tcp reset comment "appnet:default"'));
  assert.ok(c.includes('add element inet appnet fw_in { "system.slice/postgresql.service" : goto fw_a3_in }'));
  assert.deepEqual(c.filter((x) => x.includes('fw_input socket')), ['add rule inet appnet fw_input socket cgroupv2 level 2 vmap @fw_in']);
  // The map is rebuilt each time: flushed before its elements are added again.
  assert.ok(c.indexOf('flush map inet appnet fw_in') < c.findIndex((x) => x.startsWith('add element inet appnet fw_in ')));
  assert.deepEqual(plan.objects, { chains: ['fw_a3_in', 'fw_a3_out'], counters: ['fw_r7'], quotas: [] });
});

test('per-packet work: one map lookup per populated level, however many apps and rules', () => {
  const many = Array.from({ length: 300 }, (_, i) => `system.slice/svc${i}.service`);
  const rules = many.map((p, i) => rule(i + 1, { app: `svc${i}.service`, direction: 'out', action: 'drop', remotePort: 25 }));
  const apps = many.map((p, i) => app(i + 1, { app: `svc${i}.service` }));
  const plan = firewallCommands({ rules, apps, cgroups: ['system.slice', ...many], ifaces: [] });
  assert.deepEqual(plan.levels, [2]);
  assert.equal(plan.commands.filter((x) => x.startsWith('add rule inet appnet fw_output')).length, 1);
});

test('cgroups bind to the deepest configured app; other apps fall to *; unchanged children need no element', () => {
  const sel = new Map([['app:firefox', 2], ['*', 9], ['system.slice/nginx.service', 4]]);
  const b = bindCgroups(TREE, sel, 9);
  assert.deepEqual(Object.fromEntries(b), { 'system.slice': 9, 'user.slice': 9, [FF]: 2, 'system.slice/nginx.service': 4 });
  assert.deepEqual(Object.fromEntries(bindCgroups(TREE, new Map([['app:firefox', 2]]), null)), { [FF]: 2 });
});

test('a quota is a named object in front of the app\'s rules on metered interfaces; a new cycle re-creates it', () => {
  const a = { ...app(2, { app: 'app:firefox', quotaBytes: '2GiB' }), quotaUsed: 1000 };
  const plan = firewallCommands({ rules: [], apps: [a], cgroups: TREE, ifaces: IFACES });
  assert.ok(plan.commands.includes('add quota inet appnet fw_q2 { over 2147483648 bytes used 1000 bytes }'));
  assert.ok(plan.commands.includes('add rule inet appnet fw_a2_in iifname @if_metered quota name "fw_q2" drop comment "appnet:quota"'));
  assert.ok(plan.commands.includes('add element inet appnet if_metered { "wwan0" }'));
  const reset = firewallCommands({ rules: [], apps: [{ ...a, quotaUsed: 0, recreateQuota: true }], cgroups: TREE, ifaces: IFACES });
  const i = reset.commands.indexOf('delete quota inet appnet fw_q2');
  assert.ok(i > reset.commands.indexOf('flush chain inet appnet fw_a2_in'), 'deleted only after the rules using it are flushed');
  assert.equal(reset.commands[i + 1], 'add quota inet appnet fw_q2 { over 2147483648 bytes }');
  const seeded = firewallCommands({ rules: [], apps: [{ ...a, quotaUsed: 3 * 2 ** 30, recreateQuota: true }], cgroups: TREE, ifaces: IFACES });
  const j = seeded.commands.indexOf('delete quota inet appnet fw_q2');
  assert.equal(seeded.commands[j + 1], 'add quota inet appnet fw_q2 { over 2147483648 bytes used 2147483648 bytes }', 'a seed over the cap starts at the cap (the kernel refuses more): blocked from the next packet');
});

test('objects of a previous apply that are no longer wanted are removed, after every reference is flushed', () => {
  const plan = firewallCommands({
    rules: [], apps: [], cgroups: TREE, ifaces: [],
    previous: { chains: ['fw_a5_in', 'fw_a5_out', 'evil; flush ruleset'], counters: ['fw_r9'], quotas: ['fw_q5'] },
  });
  const c = plan.commands;
  assert.ok(c.includes('delete chain inet appnet fw_a5_in'));
  assert.ok(c.includes('delete counter inet appnet fw_r9'));
  assert.ok(c.includes('delete quota inet appnet fw_q5'));
  assert.ok(c.indexOf('flush chain inet appnet fw_a5_out') < c.indexOf('delete chain inet appnet fw_a5_in'));
  assert.ok(!c.some((x) => x.includes('evil')));
});

test('the builder re-validates each row: a tampered rule or a bad id is left out and reported, the others are built', () => {
  const good = rule(1, { app: 'nginx.service', direction: 'in', action: 'drop' });
  const evil: Rule = { ...good.rule, localPort: '0-80' };
  const evil2: Rule = { ...good.rule, iface: 'eth0" accept' };
  const built = firewallCommands({
    rules: [{ id: 1, rule: evil }, { id: 2, rule: evil2 }, { id: -1, rule: good.rule }, { ...good, id: 4 }],
    apps: [app(1, { app: 'nginx.service' }), app(-1, { app: 'app:firefox', defaultOut: 'drop' })],
    cgroups: ['system.slice', 'system.slice/nginx.service'], ifaces: [],
  });
  assert.deepEqual(built.skipped.map((s) => [s.kind, s.id]), [['rule', 1], ['rule', 2], ['rule', -1], ['app', -1]]);
  assert.match(built.skipped[0].error, /rule 1 refused: local port: port 0 is out of range/);
  assert.match(built.skipped[2].error, /id -1 is not a positive whole number/);
  assert.ok(built.commands.includes('add rule inet appnet fw_a1_in counter name "fw_r4" drop comment "appnet:r4"'), 'the good rule is built');
  assert.ok(!built.commands.some((x) => x.includes('eth0"') || x.includes('fw_r-1') || x.includes('fw_a-1')));
  const plan = firewallCommands({ rules: [], apps: [app(1, { app: '*', defaultIn: 'drop' })], cgroups: ['system.slice/x"; flush ruleset'], ifaces: [{ name: 'a b', kind: 'wifi', metered: true }] });
  assert.ok(!plan.commands.some((x) => x.includes('flush ruleset') || x.includes('"a b"')));
});

test('an app whose settings row is unusable but denies is kept closed: its cgroups drop on that hook', () => {
  const plan = firewallCommands({ rules: [], apps: [], closed: [{ app: 'app:firefox', hooks: ['out'] }], cgroups: TREE, ifaces: IFACES });
  assert.ok(plan.commands.includes(`add element inet appnet fw_out { "${FF}" : drop }`));
  assert.ok(!plan.commands.some((x) => x.startsWith('add element inet appnet fw_in ')));
  assert.ok(plan.commands.includes('add counter inet appnet fw_r0'), 'the loaded marker is part of every firewall batch');
});

test('reject: TCP gets a reset, others an ICMP unreachable; both directions get their own chain', () => {
  const p = previewRule({ app: 'app:firefox', direction: 'both', action: 'reject', remote: ['1.2.3.0/24', '2001:db8::/32'], remotePort: '443' });
  assert.ok(p.ok);
  assert.deepEqual(p.lines, [
    'add rule inet appnet fw_anew_in ip saddr 1.2.3.0/24 meta l4proto tcp th sport 443 counter name "fw_rnew" reject with tcp reset comment "appnet:rnew"',
    'add rule inet appnet fw_anew_in ip saddr 1.2.3.0/24 meta l4proto { tcp, udp } th sport 443 counter name "fw_rnew" reject comment "appnet:rnew"',
    'add rule inet appnet fw_anew_in ip6 saddr 2001:db8::/32 meta l4proto tcp th sport 443 counter name "fw_rnew" reject with tcp reset comment "appnet:rnew"',
    'add rule inet appnet fw_anew_in ip6 saddr 2001:db8::/32 meta l4proto { tcp, udp } th sport 443 counter name "fw_rnew" reject comment "appnet:rnew"',
    'add rule inet appnet fw_anew_out ip daddr 1.2.3.0/24 meta l4proto tcp th dport 443 counter name "fw_rnew" reject with tcp reset comment "appnet:rnew"',
    'add rule inet appnet fw_anew_out ip daddr 1.2.3.0/24 meta l4proto { tcp, udp } th dport 443 counter name "fw_rnew" reject comment "appnet:rnew"',
    'add rule inet appnet fw_anew_out ip6 daddr 2001:db8::/32 meta l4proto tcp th dport 443 counter name "fw_rnew" reject with tcp reset comment "appnet:rnew"',
    'add rule inet appnet fw_anew_out ip6 daddr 2001:db8::/32 meta l4proto { tcp, udp } th dport 443 counter name "fw_rnew" reject comment "appnet:rnew"',
  ]);
  assert.deepEqual(previewRule({ app: 'x', direction: 'in', action: 'allow', localPort: 0 }), { ok: false, error: 'local port: port 0 is out of range: ports are 1–65535' });
});

test('per-app settings preview like rules: the cap first, the default last, "as all other apps" adds nothing', () => {
  const p = previewAppPolicy({ app: 'app:firefox', defaultIn: 'reject', quotaBytes: '50MiB', quotaNetwork: 'mobile' }, { appId: 3 });
  assert.deepEqual(p, { ok: true, lines: [
    'add quota inet appnet fw_q3 { over 52428800 bytes }',
    'add rule inet appnet fw_a3_in iifname @if_mobile quota name "fw_q3" drop comment "appnet:quota"',
    'add rule inet appnet fw_a3_out oifname @if_mobile quota name "fw_q3" drop comment "appnet:quota"',
    'add rule inet appnet fw_a3_in meta l4proto tcp reject with tcp reset comment "appnet:default"',
    'add rule inet appnet fw_a3_in reject comment "appnet:default"',
  ] });
  assert.deepEqual(previewAppPolicy({ app: 'app:firefox' }), { ok: true, lines: [] });
  assert.deepEqual(previewAppPolicy({ app: 'app:firefox', quotaBytes: '2 lots' }), { ok: false, error: "data cap: '2 lots' is not a size like 2GiB, 500MB or 1048576" });
});

test('counters and quota use are read back from nft JSON', () => {
  const json = JSON.stringify({ nftables: [
    { metainfo: { version: '1.0.6' } },
    { counter: { family: 'inet', name: 'fw_r12', table: 'appnet', handle: 3, packets: 10, bytes: 1500 } },
    { counter: { family: 'inet', name: 'other', table: 'appnet', handle: 4, packets: 1, bytes: 1 } },
    { quota: { family: 'inet', name: 'fw_q2', table: 'appnet', handle: 5, bytes: 2147483648, used: 4096, inv: true } },
  ] });
  const c = parseFirewallCounters(json);
  assert.deepEqual([...c.rules], [[12, { packets: 10, bytes: 1500 }]]);
  assert.deepEqual([...c.quotas], [[2, { used: 4096, limit: 2147483648 }]]);
});

test('conntrack only where a rule could drop a reply: count/allow-only chains have no ct expression at all', () => {
  const counting = firewallCommands({
    rules: [rule(1, { app: 'app:firefox', direction: 'out', action: 'count', protocol: 'udp', remotePort: 53 }), rule(2, { app: 'nginx.service', direction: 'in', action: 'allow', localPort: 443 })],
    apps: [app(1, { app: 'app:firefox' }), app(2, { app: 'nginx.service', quotaBytes: '1GiB' })],
    cgroups: TREE,
    ifaces: IFACES,
  });
  assert.equal(counting.conntrack, false);
  assert.ok(!counting.commands.some((x) => x.includes(' ct ')), 'no ct expression: conntrack stays off for the namespace');
  const dropping = firewallCommands({
    rules: [rule(1, { app: 'app:firefox', direction: 'out', action: 'drop', protocol: 'tcp', remotePort: 25 })],
    apps: [app(1, { app: 'app:firefox' })],
    cgroups: TREE,
    ifaces: IFACES,
  });
  assert.equal(dropping.conntrack, true);
  assert.ok(dropping.commands.includes('add rule inet appnet fw_a1_out ct direction reply accept'));
  assert.ok(!dropping.commands.some((x) => x.startsWith('add rule inet appnet fw_a1_in ')), 'nothing to do inbound');
});

test('an app falling through to a restricting other-apps chain keeps the reply exemption', () => {
  const plan = firewallCommands({
    rules: [rule(1, { app: 'app:firefox', direction: 'in', action: 'count', localPort: 8080 })],
    apps: [app(1, { app: 'app:firefox' }), app(9, { app: '*', defaultIn: 'drop' })],
    cgroups: TREE,
    ifaces: IFACES,
  });
  const chain = plan.commands.filter((x) => x.startsWith('add rule inet appnet fw_a1_in '));
  assert.deepEqual(chain.map((x) => x.replace('add rule inet appnet fw_a1_in ', '')), [
    'meta l4proto { tcp, udp } th dport 8080 counter name "fw_r1" comment "appnet:r1"',
    'ct direction reply accept',
    'goto fw_a9_in',
  ]);
});

test('only hooks with something to do are looked up: outbound-only apps get no fw_in element, a hook nobody uses no lookup', () => {
  const plan = firewallCommands({
    rules: [rule(1, { app: 'app:firefox', direction: 'out', action: 'reject', protocol: 'tcp', remotePort: 443 })],
    apps: [app(1, { app: 'app:firefox' })],
    cgroups: TREE,
    ifaces: IFACES,
  });
  assert.deepEqual(plan.hookLevels, { in: [], out: [5] });
  assert.ok(!plan.commands.some((x) => x.startsWith('add rule inet appnet fw_input ') || x.startsWith('add element inet appnet fw_in ')));
  assert.ok(plan.commands.includes(`add element inet appnet fw_out { "${FF}" : goto fw_a1_out }`));
});

test('no rules, no firewall on the packet path: a hook with nothing to dispatch has no base chain (an earlier one is removed)', () => {
  const none = firewallCommands({ rules: [], apps: [], cgroups: TREE, ifaces: IFACES }).commands;
  for (const chain of ['fw_input', 'fw_output']) {
    const at = none.indexOf(`delete chain inet appnet ${chain}`);
    assert.ok(at > none.indexOf(`flush chain inet appnet ${chain}`), `${chain} is emptied, then deleted`);
    assert.ok(!none.some((x) => x.startsWith(`add rule inet appnet ${chain} `)));
  }
  const outOnly = firewallCommands({
    rules: [rule(1, { app: 'app:firefox', direction: 'out', action: 'reject', protocol: 'tcp', remotePort: 443 })],
    apps: [app(1, { app: 'app:firefox' })],
    cgroups: TREE,
    ifaces: IFACES,
  }).commands;
  assert.ok(outOnly.includes('delete chain inet appnet fw_input'), 'outbound rules only: no inbound chain');
  assert.ok(!outOnly.includes('delete chain inet appnet fw_output'));
  assert.ok(outOnly.includes('add chain inet appnet fw_output { type filter hook output priority 0; policy accept; }'));
});

test('a configured child that does nothing on a hook is shielded from its parent app\'s chain by an accept element', () => {
  const manager = 'user.slice/user-1000.slice/user@1000.service';
  const plan = firewallCommands({
    rules: [rule(1, { app: 'user@1000.service', direction: 'in', action: 'drop', localPort: 22 }), rule(2, { app: 'app:firefox', direction: 'out', action: 'drop', remotePort: 25 })],
    apps: [app(1, { app: 'user@1000.service' }), app(2, { app: 'app:firefox' })],
    cgroups: TREE,
    ifaces: IFACES,
  });
  const inEls = plan.commands.filter((x) => x.startsWith('add element inet appnet fw_in '));
  assert.equal(inEls.length, 1);
  assert.ok(inEls[0].includes(`"${manager}" : goto fw_a1_in`) && inEls[0].includes(`"${FF}" : accept`), inEls[0]);
  assert.deepEqual(plan.hookLevels, { in: [5, 3], out: [5] });
});
