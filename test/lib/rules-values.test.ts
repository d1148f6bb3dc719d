/**
 * Addresses in rules: only the forms that mean one thing. ipaddr.js alone reads
 * `010.0.0.1` as octal (8.0.0.1), `10.1` as 10.0.0.1 and `10` as 0.0.0.10 (the class of
 * CVE-2021-29921 and CVE-2021-28918); a rule must refuse them with a sentence that says
 * how to write the address instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseRemote } from '../../lib/rules/values';
import { validateRule } from '../../lib/rules/model';

const refused: Array<[string, RegExp]> = [
  ['010.0.0.1', /'010\.0\.0\.1' is not a valid IPv4 address: write four decimal numbers 0–255 without leading zeros, e.g\. 10\.0\.0\.1/],
  ['10.0.0.01', /not a valid IPv4 address/],
  ['10.1', /not a valid IPv4 address/],
  ['10', /not a valid IPv4 address/],
  ['4294967295', /not a valid IPv4 address/],
  ['0x0a.0.0.1', /not a valid IPv4 address/],
  ['0xa000001', /not a valid IPv4 address/],
  ['1.2.3.4.5', /not a valid IPv4 address/],
  ['256.1.1.1', /not a valid IPv4 address/],
  ['10.0.0.0/08', /prefix length '08'/],
  ['10.0.0.0/33', /prefix length '33'/],
  ['10.0.0.0/', /prefix length ''/],
  ['::ffff:010.0.0.1', /'::ffff:010\.0\.0\.1' is not a valid IPv6 address/],
  ['fe80::1%eth0', /not a valid IPv6 address/],
  ['1::2::3', /not a valid IPv6 address/],
  ['12345::1', /not a valid IPv6 address/],
  ['1:2:3:4:5:6:7:8:9', /not a valid IPv6 address/],
  ['fd00::/129', /prefix length '129'/],
  ['fd00::/064', /prefix length '064'/],
];

test('old-style and ambiguous address forms are refused with a sentence saying how to write them', () => {
  for (const [item, re] of refused) {
    const r = parseRemote(item);
    assert.equal(r.ok, false, `accepted ${item} as ${JSON.stringify(r.ok && r.value)}`);
    if (!r.ok) assert.match(r.error, re, item);
  }
});

test('the same refusal reaches every rule: the schema names the remote field', () => {
  const v = validateRule({ app: 'postgresql.service', direction: 'in', action: 'allow', remote: '10.10.0.0/16, 010.0.0.1' });
  assert.equal(v.ok, false);
  if (!v.ok) {
    assert.deepEqual(Object.keys(v.errors), ['remote']);
    assert.match(v.message, /remote: '010\.0\.0\.1' is not a valid IPv4 address/);
  }
});

test('standard forms are accepted and stored canonically', () => {
  const cases: Array<[string, { v4: string[]; v6: string[] }]> = [
    ['10.0.0.1', { v4: ['10.0.0.1'], v6: [] }],
    ['0.0.0.0/0', { v4: ['0.0.0.0/0'], v6: [] }],
    ['10.10.3.4/16', { v4: ['10.10.0.0/16'], v6: [] }],
    ['192.168.1.255/32', { v4: ['192.168.1.255'], v6: [] }],
    ['FD00:0:0::1', { v4: [], v6: ['fd00::1'] }],
    ['fd00::/8', { v4: [], v6: ['fd00::/8'] }],
    ['::/0', { v4: [], v6: ['::/0'] }],
    ['2001:db8:0:0:1:0:0:1', { v4: [], v6: ['2001:db8::1:0:0:1'] }],
    ['::ffff:10.0.0.1', { v4: [], v6: ['::ffff:a00:1'] }],
  ];
  for (const [item, want] of cases) assert.deepEqual(parseRemote(item), { ok: true, value: want }, item);
});

test('every dotted quad of four decimal numbers without leading zeros means exactly itself', () => {
  fc.assert(
    fc.property(fc.ipV4(), (a) => {
      assert.deepEqual(parseRemote(a), { ok: true, value: { v4: [a], v6: [] } });
    }),
  );
});

test('no text that is not a standard address form is ever accepted', () => {
  const v4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(\/(3[0-2]|[12]?\d))?$/;
  fc.assert(
    fc.property(fc.stringMatching(/^[0-9.x\/]{1,18}$/), (s) => {
      const r = parseRemote(s);
      if (r.ok && !s.includes(':') && r.value.v4.length) assert.match(s, v4);
    }),
    { numRuns: 2000 },
  );
});
