import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNftDump } from '../../lib/nft/dump';
import { parseFirewallCounters } from '../../lib/nft/firewall-parse';
import { NftParseError, parseTableSnapshot } from '../../lib/nft/parse';

// Recorded in a sandbox: nginx.service (cgroup id 3194476) sent on wwan0 and lo, a
// removed service (id 3194495) on wwan0; then nftdump and `nft -j list table` of the same state.
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'nft');
const dump = readFileSync(join(FIXTURES, 'nftdump.txt'), 'utf8');
const json = readFileSync(join(FIXTURES, 'nftdump-same.json'), 'utf8');
const NGINX = 3194476;
const GONE = 3194495;

test('parseNftDump decodes cgroup ids and interface names from the raw keys', () => {
  const d = parseNftDump(dump);
  assert.ok(d);
  const out = d.snapshot.elements.filter((e) => e.set === 'acct_out');
  assert.deepEqual(
    out.map((e) => [e.cgroup, e.iface, e.bytes, e.packets]).sort(),
    [[GONE, 'wwan0', 156, 2], [NGINX, 'lo', 38, 1], [NGINX, 'wwan0', 384, 3]].sort(),
  );
  const ngx = out.find((e) => e.cgroup === NGINX && e.iface === 'wwan0')!;
  assert.equal(ngx.expiresSec, 598.196, 'expiry in milliseconds, not rounded to seconds');
  const unattr = d.snapshot.elements.filter((e) => e.set === 'unattr_out');
  assert.deepEqual(unattr.map((e) => [e.cgroup, e.iface, e.bytes, e.expiresSec]).sort(), [[null, 'lo', 66, null], [null, 'wwan0', 512, null]]);
  assert.equal(d.snapshot.tableHandle, 1);
  assert.deepEqual(d.snapshot.setFill.acct_in, { count: 3, size: 262144 });
  assert.deepEqual(d.snapshot.chains, { acct_input: 2, acct_output: 2, acct_forward: 1 });
  assert.deepEqual([...d.firewall.rules], [[7, { packets: 0, bytes: 0 }]], 'only our fw_r<id> counters');
  assert.deepEqual([...d.firewall.quotas], [[3, { used: 1234, limit: 1000000 }]]);
});

test('parseNftDump agrees with nft -j on the same table (ids for paths, whole seconds aside)', () => {
  const d = parseNftDump(dump)!;
  const j = parseTableSnapshot(json);
  const key = (e: { set: string; cgroup: number | string | null; iface: string; bytes: number; packets: number }) =>
    `${e.set}|${e.cgroup === 'system.slice/nginx.service' ? NGINX : e.cgroup}|${e.iface}|${e.bytes}|${e.packets}`;
  assert.deepEqual(d.snapshot.elements.map(key).sort(), j.elements.map(key).sort());
  for (const e of d.snapshot.elements) {
    const twin = j.elements.find((x) => key(x) === key(e))!;
    assert.equal(twin.expiresSec === null ? null : twin.expiresSec, e.expiresSec === null ? null : Math.floor(e.expiresSec));
  }
  assert.deepEqual(d.snapshot.setFill, j.setFill);
  assert.deepEqual(d.snapshot.chains, j.chains);
  assert.equal(d.snapshot.tableHandle, j.tableHandle);
  assert.deepEqual(d.firewall, parseFirewallCounters(json));
});

test('parseNftDump: an absent table is null; damaged output says what is wrong', () => {
  assert.equal(parseNftDump('nftdump 1 le\nabsent\nend -\n'), null);
  assert.throws(() => parseNftDump(''), NftParseError);
  assert.throws(() => parseNftDump('nftdump 2 le\nend -\n'), /not nftdump format 1/);
  assert.throws(() => parseNftDump(dump.replace(/end 1\n$/, '')), /truncated/);
  assert.throws(() => parseNftDump(dump.replace('e acct_out 7fbe', 'e acct_out 7fb')), /not a cgroup id \(8 bytes\) \+ ifname/);
  assert.throws(() => parseNftDump(dump.replace('7777616e300000000000000000000000 512', '7777616e3000 512')), /does not end in an ifname/);
  assert.throws(() => parseNftDump(dump.replace('e acct_out 7fbe', 'e acct_out 7gbe')), /not a cgroup id/);
  assert.throws(() => parseNftDump(dump.replace(' 468 3 ', ' -468 3 ')), /not a count/);
  assert.throws(() => parseNftDump(dump.replace('end 1', 'end 2')), /changed during the dump/);
  assert.throws(() => parseNftDump(dump.replace('chain acct_input 2', 'rule x')), /unknown record/);
});

test('parseNftDump reads big-endian hosts and elements without counters', () => {
  const be = 'nftdump 1 be\ntable 9\nset acct_in 0 24\ne acct_in 00000000000000ff6574683000000000000000000000000000 1 1 -\ne acct_in 00000000000000016574683000000000000000000000000000 - - 5000\nend 9\n';
  assert.throws(() => parseNftDump(be), /not a cgroup id \(8 bytes\) \+ ifname/);
  const ok = be.replaceAll('6574683000000000000000000000000000', '65746830000000000000000000000000');
  const d = parseNftDump(ok)!;
  assert.deepEqual(d.snapshot.elements, [{ set: 'acct_in', cgroup: 255, iface: 'eth0', bytes: 1, packets: 1, expiresSec: null }]);
  assert.deepEqual(d.snapshot.setFill.acct_in, { count: 2, size: null }, 'an element without a counter still fills the set');
});
