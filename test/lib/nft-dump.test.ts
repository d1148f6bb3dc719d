import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNftDump } from '../../lib/nft/dump';
import { parseFirewallCounters } from '../../lib/nft/firewall-parse';
import { NftParseError, parseTableSnapshot } from '../../lib/nft/parse';

// Recorded in a sandbox: nginx.service (cgroup id 4622725) sent on wwan0 and lo, a
// removed service (id 4622744) on wwan0; then nftdump and `nft -j list table` of the same state.
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'nft');
const dump = readFileSync(join(FIXTURES, 'nftdump.txt'), 'utf8');
const json = readFileSync(join(FIXTURES, 'nftdump-same.json'), 'utf8');
const NGINX = 4622725;
const GONE = 4622744;

test('parseNftDump reads cgroup ids, interface names, counters and expiry', () => {
  const d = parseNftDump(dump);
  assert.ok(d);
  const out = d.snapshot.elements.filter((e) => e.set === 'acct_out');
  assert.deepEqual(
    out.map((e) => [e.cgroup, e.iface, e.bytes, e.packets]).sort(),
    [[GONE, 'wwan0', 156, 2], [NGINX, 'lo', 38, 1], [NGINX, 'wwan0', 384, 3]].sort(),
  );
  const ngx = out.find((e) => e.cgroup === NGINX && e.iface === 'wwan0')!;
  assert.equal(ngx.expiresSec, 597.036, 'expiry in milliseconds, not rounded to seconds');
  const unattr = d.snapshot.elements.filter((e) => e.set === 'unattr_out');
  assert.deepEqual(unattr.map((e) => [e.cgroup, e.iface, e.bytes, e.expiresSec]).sort(), [[null, 'lo', 66, null], [null, 'wwan0', 416, null]]);
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
  assert.equal(parseNftDump('nftdump 2\nabsent\nend -\n'), null);
  assert.throws(() => parseNftDump(''), NftParseError);
  assert.throws(() => parseNftDump('nftdump 1 le\nend -\n'), /not nftdump format 2/);
  assert.throws(() => parseNftDump(dump.replace(/end 1\n$/, '')), /truncated/);
  assert.throws(() => parseNftDump(dump.replace('[[4622744,"wwan0",156', '[[4622744,"wwan0",-156')), /bad element of acct_out/);
  assert.throws(() => parseNftDump(dump.replace('[[4622744,"wwan0",156', '[["4622744","wwan0",156')), /bad element of acct_out/);
  assert.throws(() => parseNftDump(dump.replace('[[null,"lo",38', '[[7,"lo",38')), /bad element of unattr_in/);
  assert.throws(() => parseNftDump(dump.replace('[[4622744,"wwan0",156,2,598432]', '[[4622744,"wwan0",156,2]')), /not \[id, ifname/);
  assert.throws(() => parseNftDump(dump.replace('elems acct_out [[', 'elems acct_out [[[')), /not JSON/);
  assert.throws(() => parseNftDump(dump.replace('set acct_out 262144 24', 'set acct_out 262144 16')), /16-byte keys, expected 24/);
  assert.throws(() => parseNftDump(dump.replace(' 468,3,', ' 468,3,').replace('table 1', 'table x')), /table handle is not a count/);
  assert.throws(() => parseNftDump(dump.replace('end 1', 'end 2')), /changed during the dump/);
  assert.throws(() => parseNftDump(dump.replace('chain acct_input 2', 'rule x')), /unknown record/);
  assert.throws(() => parseNftDump('nftdump 2\nerror listing table appnet: Operation not permitted\nend -\n'), /nftdump: listing table appnet: Operation not permitted/);
});

test('parseNftDump: elements without a counter fill the set but count nothing; escaped names decode', () => {
  const text = 'nftdump 2\ntable 9\nset acct_in 0 24\nelems acct_in [[255,"eth\\"0",1,1,null],[1,"eth0",null,null,5000]]\nset fw_in 0 8\nelems fw_in [[1]]\nend 9\n';
  const d = parseNftDump(text)!;
  assert.deepEqual(d.snapshot.elements, [{ set: 'acct_in', cgroup: 255, iface: 'eth"0', bytes: 1, packets: 1, expiresSec: null }]);
  assert.deepEqual(d.snapshot.setFill, { acct_in: { count: 2, size: null } }, 'sets that are not counter sets are skipped');
});
