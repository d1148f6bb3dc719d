import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NftParseError, parseTableSnapshot } from '../../lib/nft/parse';
import { accountingCommands, normaliseLevels } from '../../lib/nft/accounting';

const fixture = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'nft', 'list-table.json'), 'utf8');

test('parseTableSnapshot reads live cgroups as paths, dead ones as ids, and unattributed per interface', () => {
  const snap = parseTableSnapshot(fixture);
  assert.ok(snap.tableHandle > 0);
  const out = snap.elements.filter((e) => e.set === 'acct_out');
  const live = out.find((e) => e.cgroup === 'system.slice/nginx.service');
  const dead = out.find((e) => typeof e.cgroup === 'number');
  assert.ok(live && live.bytes > 100_000 && live.iface === 'wwan0', 'nginx sent its 100 kB on wwan0');
  assert.ok(dead && dead.bytes > 5000 && dead.bytes < 10_000, 'the removed service is listed by id');
  assert.ok(live.expiresSec !== null && live.expiresSec <= 600);
  const unattr = snap.elements.filter((e) => e.set === 'unattr_out');
  assert.equal(unattr.length, 1);
  assert.equal(unattr[0].cgroup, null);
  assert.deepEqual(Object.keys(snap.setFill).sort(), ['acct_in', 'acct_out', 'unattr_in', 'unattr_out']);
  assert.equal(snap.chains.acct_output, 3, 'two levels and the unattributed rule');
});

test('parseTableSnapshot says what is wrong with malformed input', () => {
  assert.throws(() => parseTableSnapshot('not json'), NftParseError);
  assert.throws(() => parseTableSnapshot('{"nftables":[{"metainfo":{}}]}'), /table appnet missing/);
});

test('accountingCommands looks up only populated levels, deepest first, and never flushes sets', () => {
  assert.deepEqual(normaliseLevels([2, 5, 2, 0, 99, 3.5, 4]), [5, 4, 2]);
  const cmds = accountingCommands({ levels: [2, 5], elementTimeoutSec: 600 });
  const out = cmds.filter((c) => c.includes('acct_output') && c.startsWith('add rule'));
  assert.deepEqual(out, [
    'add rule inet appnet acct_output update @acct_out { socket cgroupv2 level 5 . oifname } return',
    'add rule inet appnet acct_output update @acct_out { socket cgroupv2 level 2 . oifname } return',
    'add rule inet appnet acct_output update @unattr_out { oifname }',
  ]);
  assert.ok(!cmds.some((c) => /^flush (set|table)|^delete table|^delete set inet appnet (acct|unattr)_/.test(c)), 'counters survive a rebuild');
  // Next to the BPF program nft counts nothing: no chain hooks a packet (the per-app sets and the old per-interface totals go);
  // only while destinations' host names are learned from nft, DNS answers go to the NFLOG group the collector reads.
  const totals = accountingCommands({ levels: [2, 5], elementTimeoutSec: 600, role: 'totals' });
  assert.deepEqual(totals.filter((c) => c.startsWith('add rule')), []);
  assert.deepEqual(totals.filter((c) => c.startsWith('delete chain inet appnet acct_')), ['delete chain inet appnet acct_input', 'delete chain inet appnet acct_output', 'delete chain inet appnet acct_forward']);
  assert.ok(totals.includes('delete set inet appnet iface_in') && totals.includes('delete set inet appnet acct_in'));
  const dns = accountingCommands({ levels: [2, 5], elementTimeoutSec: 600, role: 'totals', dnsLog: true });
  assert.deepEqual(dns.filter((c) => c.startsWith('add rule')), ['add rule inet appnet acct_input udp sport 53 log group 7171']);
  assert.deepEqual(dns.filter((c) => c.startsWith('delete chain inet appnet acct_')), ['delete chain inet appnet acct_output', 'delete chain inet appnet acct_forward']);
  assert.ok(!dns.some((c) => /^add rule .*socket cgroupv2/.test(c)), 'no socket lookup');
});
