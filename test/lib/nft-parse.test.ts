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
  // Next to the BPF program, nft counts only per-interface totals; the per-app sets go (and come back empty on a switch back);
  // DNS answers go to the NFLOG group the collector learns destinations' host names from.
  const totals = accountingCommands({ levels: [2, 5], elementTimeoutSec: 600, role: 'totals' });
  assert.deepEqual(totals.filter((c) => c.startsWith('add rule')), [
    'add rule inet appnet acct_input update @iface_in { iifname }',
    'add rule inet appnet acct_input udp sport 53 log group 7171',
    'add rule inet appnet acct_output update @iface_out { oifname }',
    'add rule inet appnet acct_forward update @iface_in { iifname } update @iface_out { oifname }',
  ]);
  assert.ok(!totals.some((c) => /^add rule .*socket cgroupv2|^delete set inet appnet iface_/.test(c)), 'no socket lookup; the totals survive a rebuild');
});
