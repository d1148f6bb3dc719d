import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mergeRulePatch, validateAppPolicy, validateRule } from '../../lib/rules/model';
import { bytesText, parseBytes, parsePorts, parseRemote } from '../../lib/rules/values';
import { ACTION_LABELS, DIRECTION_LABELS, POLICY_LABELS, PRECEDENCE } from '../../lib/rules/vocabulary';
import { cycleBounds } from '../../lib/period';

const base = { app: 'postgresql.service', direction: 'in', action: 'allow' };

test('a full rule is canonicalised: CIDRs to network addresses split by family, ports merged, deny means drop', () => {
  const v = validateRule({ ...base, action: 'deny', remote: '10.10.3.4/16, fd00::1/8 10.10.0.0/24', localPort: '6000-6010,5432,6005', protocol: 'tcp', comment: 'db (office)' });
  assert.ok(v.ok, v.ok ? '' : v.message);
  assert.deepEqual(v.value, {
    app: 'postgresql.service', direction: 'in', action: 'drop', protocol: 'tcp', remote: '10.10.0.0/16,fd00::/8', localPort: '5432,6000-6010',
    remotePort: null, network: 'any', iface: null, comment: 'db (office)', enabled: true, priority: 100,
  });
});

test('form text is schema input: empty fields are not given, numbers may come as text', () => {
  const v = validateRule({ ...base, remote: '  ', localPort: '', iface: '', priority: '7', comment: '' });
  assert.ok(v.ok, v.ok ? '' : v.message);
  assert.deepEqual([v.value.remote, v.value.localPort, v.value.iface, v.value.priority], [null, null, null, 7]);
});

test('a partial change keeps every field it does not name (PATCH { comment } left protocol and ports alone)', () => {
  const v = validateRule({ ...base, protocol: 'tcp', localPort: 5432, priority: 7 });
  assert.ok(v.ok);
  const m = mergeRulePatch(v.value, { comment: 'office' });
  assert.ok(m.ok);
  assert.deepEqual(m.value, { ...v.value, comment: 'office' });
  const bad = mergeRulePatch(v.value, { nope: 1 });
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.deepEqual(bad.errors, { _: ['unknown field(s): nope'] });
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
    [{ ...base, extra: 1 }, '_', /unknown field\(s\): extra/],
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
      const again = validateRule(v.value);
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
  assert.equal(validateAppPolicy({ app: '*', quotaBytes: '', quotaCycleDay: '15' }).ok, true, 'form text: no cap, day as text');
  assert.equal(p.value.quotaNetwork, 'metered');
  const bad = validateAppPolicy({ app: 'app:firefox', quotaBytes: '2 lots', defaultIn: 'maybe', quotaCycleDay: 31 });
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.deepEqual(Object.keys(bad.errors).sort(), ['defaultIn', 'quotaBytes', 'quotaCycleDay']);
  assert.deepEqual(parseBytes('500 MB'), { ok: true, value: 500e6 });
  assert.equal(parseBytes('-1').ok, false);
});

test('billing cycles of data caps start at local midnight of the chosen day (the one cycle computation, lib/period)', () => {
  const now = new Date(2026, 10, 28, 15, 0).getTime() / 1000;
  assert.equal(cycleBounds(now, 1).since, new Date(2026, 10, 1).getTime() / 1000);
  assert.equal(cycleBounds(now, 28).since, new Date(2026, 10, 28).getTime() / 1000);
  assert.equal(cycleBounds(new Date(2026, 0, 5).getTime() / 1000, 15).since, new Date(2025, 11, 15).getTime() / 1000);
  assert.equal(cycleBounds(now, 1).until, new Date(2026, 11, 1).getTime() / 1000);
});

test('a cap reads back as it was typed: 50MiB is 50 MiB, not 52428800', () => {
  for (const [typed, shown] of [['50MiB', '50 MiB'], ['2GiB', '2 GiB'], ['1.5 GiB', '1.5 GiB'], ['500MB', '500 MB'], ['1e3', null], ['1000', '1 kB'], ['1500MiB', '1500 MiB'], ['1234567', '1234567']] as const) {
    const b = parseBytes(typed);
    if (!b.ok) {
      assert.equal(shown, null, typed);
      continue;
    }
    assert.equal(bytesText(b.value), shown, typed);
    assert.deepEqual(parseBytes(bytesText(b.value)), b, `${typed} round-trips`);
  }
});

test('the precedence is spelled out in the words the selects use', () => {
  const text = PRECEDENCE.join(' ');
  for (const label of [...Object.values(ACTION_LABELS), DIRECTION_LABELS.in, DIRECTION_LABELS.out, ...Object.values(POLICY_LABELS)]) assert.ok(text.includes(`“${label}”`), label);
});
