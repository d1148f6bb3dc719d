import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PRECEDENCE, ruleToInput, validateAppPolicy, validateRule } from '../../lib/rules/model';
import { parseBytes, parsePorts, parseRemote } from '../../lib/rules/values';
import { cycleStart, nextCycleStart } from '../../lib/rules/cycle';

const base = { app: 'postgresql.service', direction: 'in', action: 'allow' };

test('a full rule is canonicalised: CIDRs to network addresses split by family, ports merged, deny means drop', () => {
  const v = validateRule({ ...base, action: 'deny', remote: '10.10.3.4/16, fd00::1/8 10.10.0.0/24', localPort: '6000-6010,5432,6005', protocol: 'tcp', comment: 'db (office)' });
  assert.ok(v.ok, v.ok ? '' : v.message);
  assert.equal(v.value.action, 'drop');
  assert.deepEqual(v.value.remoteV4, ['10.10.0.0/16']);
  assert.deepEqual(v.value.remoteV6, ['fd00::/8']);
  assert.deepEqual(v.value.localPorts, [{ from: 5432, to: 5432 }, { from: 6000, to: 6010 }]);
  assert.equal(v.value.enabled, true);
  assert.equal(v.value.priority, 100);
});

test('bad rules are refused with a sentence naming the field', () => {
  const cases: [unknown, string, RegExp][] = [
    [{ ...base, remote: '10.0.0.0/33' }, 'remote', /not a valid CIDR/],
    [{ ...base, remote: '300.1.1.1' }, 'remote', /not a valid IPv4 address/],
    [{ ...base, localPort: 0 }, 'localPort', /port 0 is out of range/],
    [{ ...base, remotePort: '70000' }, 'remotePort', /port 70000 is out of range/],
    [{ ...base, localPort: '80; flush ruleset' }, 'localPort', /'80; flush ruleset' is not a port/],
    [{ ...base, localPort: '2000-1000' }, 'localPort', /reversed/],
    [{ ...base, direction: 'sideways' }, 'direction', /direction must be one of in, out, both, got 'sideways'/],
    [{ ...base, action: 'accept' }, 'action', /action must be one of/],
    [{ ...base, comment: 'x'.repeat(201) }, 'comment', /at most 200 characters/],
    [{ ...base, comment: 'a" ; flush ruleset' }, 'comment', /comment may hold/],
    [{ ...base, app: 'nginx.service"; flush ruleset' }, 'app', /app must be an app key/],
    [{ ...base, app: '../etc' }, 'app', /app must be/],
    [{ ...base, iface: 'eth0 accept' }, 'iface', /not a valid interface name/],
    [{ ...base, iface: 'wlan0', network: 'metered' }, 'iface', /not both/],
    [{ ...base, protocol: 'icmp', localPort: 80 }, 'protocol', /ICMP has no ports/],
    [{ ...base, priority: 1.5 }, 'priority', /whole number/],
    [{ ...base, extra: 1 }, 'body', /unknown field\(s\): extra/],
  ];
  for (const [input, field, re] of cases) {
    const v = validateRule(input);
    assert.equal(v.ok, false, `accepted ${JSON.stringify(input)}`);
    if (v.ok) continue;
    assert.ok(v.errors[field], `${JSON.stringify(input)}: expected an error on ${field}, got ${JSON.stringify(v.errors)}`);
    assert.match(v.message, re);
  }
});

test('several bad fields are all reported at once', () => {
  const v = validateRule({ app: 'x', direction: 'up', action: 'allow', remote: 'nope', localPort: 0 });
  assert.equal(v.ok, false);
  if (!v.ok) assert.deepEqual(Object.keys(v.errors).sort(), ['direction', 'localPort', 'remote']);
});

test('a validated rule survives the round trip through its stored form', () => {
  const arb = fc.record({
    app: fc.constantFrom('nginx.service', 'app:firefox', 'user:pipewire.service', '*', 'system.slice/foo.service'),
    direction: fc.constantFrom('in', 'out', 'both'),
    action: fc.constantFrom('allow', 'drop', 'reject', 'count'),
    protocol: fc.constantFrom('tcp', 'udp', 'any'),
    remote: fc.array(fc.oneof(fc.ipV4().map((a) => `${a}/24`), fc.ipV6()), { maxLength: 4 }),
    localPort: fc.array(fc.integer({ min: 1, max: 65535 }).map(String), { maxLength: 3 }).map((a) => a.join(',') || null),
  });
  fc.assert(
    fc.property(arb, (input) => {
      const v = validateRule(input);
      assert.ok(v.ok, v.ok ? '' : v.message);
      const again = validateRule(ruleToInput(v.value));
      assert.ok(again.ok);
      assert.deepEqual(again.value, v.value);
    }),
    { numRuns: 200 },
  );
});

test('no port text outside 1–65535 or with other characters is ever accepted', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 20 }), (s) => {
      const r = parsePorts(s);
      if (r.ok) for (const p of r.value) assert.ok(p.from >= 1 && p.to <= 65535 && p.from <= p.to);
      if (r.ok && s.trim()) assert.match(s, /^[\d\s,-]+$/);
    }),
  );
});

test('overlapping CIDRs are reduced to the widest, since nft refuses overlaps in one set', () => {
  const r = parseRemote(['10.0.0.0/8', '10.1.0.0/16', '10.0.0.0/8', '192.168.1.7', '::1', '::/0']);
  assert.ok(r.ok);
  assert.deepEqual(r.value, { v4: ['10.0.0.0/8', '192.168.1.7'], v6: ['::/0'] });
});

test('per-app settings: quota sizes in words, policies checked', () => {
  const p = validateAppPolicy({ app: 'app:firefox', quotaBytes: '2GiB', defaultOut: 'reject' });
  assert.ok(p.ok);
  assert.equal(p.value.quotaBytes, 2 * 2 ** 30);
  assert.equal(p.value.quotaNetwork, 'metered');
  const bad = validateAppPolicy({ app: 'app:firefox', quotaBytes: '2 lots', defaultIn: 'maybe', quotaCycleDay: 31 });
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.deepEqual(Object.keys(bad.errors).sort(), ['defaultIn', 'quotaCycleDay']);
  assert.deepEqual(parseBytes('500 MB'), { ok: true, value: 500e6 });
  assert.equal(parseBytes('-1').ok, false);
});

test('billing cycles start at local midnight of the chosen day', () => {
  const now = new Date(2026, 10, 28, 15, 0).getTime() / 1000;
  assert.equal(cycleStart(now, 1), new Date(2026, 10, 1).getTime() / 1000);
  assert.equal(cycleStart(now, 28), new Date(2026, 10, 28).getTime() / 1000);
  assert.equal(cycleStart(new Date(2026, 0, 5).getTime() / 1000, 15), new Date(2025, 11, 15).getTime() / 1000);
  assert.equal(nextCycleStart(now, 1), new Date(2026, 11, 1).getTime() / 1000);
});

test('the precedence is spelled out for people', () => {
  assert.ok(PRECEDENCE.length >= 4);
});
