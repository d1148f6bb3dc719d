/** Destinations counted by nft (lib/nft/dest-sets.ts): the rules, the sets as nftdump reads them, their deltas. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accountingCommands } from '../../lib/nft/accounting';
import { parseNftDump } from '../../lib/nft/dump';
import { DEST_SETS } from '../../lib/nft/names';
import { destDeltas, NFT_DEST_FAMILY, type DestReading } from '../../lib/destinations';
import type { CounterState } from '../../lib/delta';

const rules = (cmds: string[], chain: string) => cmds.filter((c) => c.startsWith(`add rule inet appnet ${chain} `)).map((c) => c.slice(`add rule inet appnet ${chain} `.length));

test('destinations on: each level counts its app, then goes on to its family\'s chain, where one of four exclusive cases books the packet', () => {
  const cmds = accountingCommands({ levels: [2, 5], elementTimeoutSec: 600, destinations: true });
  assert.deepEqual(rules(cmds, 'acct_output'), [
    'update @acct_out { socket cgroupv2 level 5 . oifname } meta nfproto vmap { ipv4 : goto dst4_out_l5, ipv6 : goto dst6_out_l5 }',
    'update @acct_out { socket cgroupv2 level 2 . oifname } meta nfproto vmap { ipv4 : goto dst4_out_l2, ipv6 : goto dst6_out_l2 }',
    'update @unattr_out { oifname }',
  ]);
  assert.equal(rules(cmds, 'acct_input')[0], 'udp sport 53 log group 7171', 'DNS answers are logged before the cascade returns');
  assert.deepEqual(rules(cmds, 'dst4_out_l2'), [
    'meta l4proto { tcp, udp } th sport >= 32768 update @dst4_out { socket cgroupv2 level 2 . meta l4proto . ip daddr . th dport . meta oif } return',
    'meta l4proto { tcp, udp } th sport < 32768 th dport >= 32768 update @dst4_out_svc { socket cgroupv2 level 2 . meta l4proto . ip daddr . th sport . meta oif } return',
    'meta l4proto { tcp, udp } th sport < 32768 th dport < 32768 update @dst4_out { socket cgroupv2 level 2 . meta l4proto . ip daddr . th dport . meta oif } return',
    'meta l4proto != { tcp, udp } update @dst4_out { socket cgroupv2 level 2 . meta l4proto . ip daddr . 0 . meta oif }',
  ]);
  assert.deepEqual(rules(cmds, 'dst6_in_l5'), [
    'meta l4proto { tcp, udp } th dport >= 32768 update @dst6_in { socket cgroupv2 level 5 . meta l4proto . ip6 saddr . th sport . meta iif } return',
    'meta l4proto { tcp, udp } th dport < 32768 th sport >= 32768 update @dst6_in_svc { socket cgroupv2 level 5 . meta l4proto . ip6 saddr . th dport . meta iif } return',
    'meta l4proto { tcp, udp } th dport < 32768 th sport < 32768 update @dst6_in { socket cgroupv2 level 5 . meta l4proto . ip6 saddr . th sport . meta iif } return',
    'meta l4proto != { tcp, udp } update @dst6_in { socket cgroupv2 level 5 . meta l4proto . ip6 saddr . 0 . meta iif }',
  ]);
  assert.ok(cmds.includes('add set inet appnet dst4_out { typeof socket cgroupv2 level 1 . meta l4proto . ip daddr . th dport . meta oif; flags dynamic,timeout; timeout 600s; size 4096; counter; }'));
  assert.ok(!cmds.some((c) => /^(flush|delete) set inet appnet dst/.test(c)), 'destination counters survive a rebuild');
  assert.ok(cmds.includes('delete chain inet appnet dst4_out_l3'), 'chains of levels no longer looked up go');
  assert.ok(!cmds.includes('delete chain inet appnet dst4_out_l2'));
  // Chains exist before the cascade refers to them; unused ones go only after it was flushed.
  assert.ok(cmds.indexOf('add chain inet appnet dst4_out_l2') < cmds.indexOf('flush chain inet appnet acct_output'));
  assert.ok(cmds.indexOf('delete chain inet appnet dst4_out_l3') > cmds.indexOf('flush chain inet appnet acct_output'));
});

test('destinations off (and next to the BPF program): no destination rule, the sets and chains are deleted', () => {
  for (const cmds of [accountingCommands({ levels: [2, 5], elementTimeoutSec: 600 }), accountingCommands({ levels: [2, 5], elementTimeoutSec: 600, role: 'totals', destinations: true })]) {
    assert.ok(!cmds.some((c) => c.startsWith('add rule') && /dst|vmap|log group/.test(c) && !c.includes('acct_input udp sport 53') ), 'no destination rule');
    for (const s of DEST_SETS) assert.ok(cmds.includes(`delete set inet appnet ${s.name}`), `${s.name} deleted`);
    assert.ok(cmds.includes('delete chain inet appnet dst6_in_l12'));
    const lastDeleteChain = cmds.map((c, i) => (c.startsWith('delete chain') ? i : -1)).reduce((a, b) => Math.max(a, b));
    assert.ok(lastDeleteChain < cmds.indexOf('delete set inet appnet dst4_out'), 'chains go before the sets they refer to');
  }
  const apps = accountingCommands({ levels: [2], elementTimeoutSec: 600 });
  assert.deepEqual(rules(apps, 'acct_output')[0], 'update @acct_out { socket cgroupv2 level 2 . oifname } return', 'the cascade as it was');
  assert.ok(!rules(apps, 'acct_input').includes('udp sport 53 log group 7171'), 'no DNS log without destinations');
});

// Recorded in a sandbox (nftdump --dests, trimmed): fetcher.service sent 300 kB over TCP to a peer and pinged it over
// IPv6 (nft attributes no echo reply to a ping socket); the peer made a connection to httpd.service's port 7400.
const DUMP = [
  'nftdump 2',
  'table 1',
  'set dst4_out 4096 24',
  'delems dst4_out [[2683566,6,"10.200.3.2",7201,2,300788,15,598808]]',
  'set dst4_out_svc 4096 24',
  'delems dst4_out_svc [[2683547,6,"10.200.3.2",7400,2,208,4,599192]]',
  'set dst6_out 4096 36',
  'delems dst6_out [[2683566,58,"fd00:200:3::2",0,2,208,2,599928]]',
  'set dst6_out_svc 4096 36',
  'delems dst6_out_svc []',
  'set dst4_in 4096 24',
  'delems dst4_in [[2683566,6,"10.200.3.2",7201,2,580,11,598808]]',
  'set dst4_in_svc 4096 24',
  'delems dst4_in_svc [[2683547,6,"10.200.3.2",7400,2,20320,6,599192]]',
  'set acct_out 262144 24',
  'elems acct_out [[2683566,"wlan0",300996,17,599928],[2683547,"wlan0",208,4,599192]]',
  'chain acct_output 3',
  'end 1',
  '',
].join('\n');

test('parseNftDump reads the destination sets apart from the counter sets, with their fill', () => {
  const d = parseNftDump(DUMP)!;
  const dests = d.snapshot.dests!;
  assert.deepEqual(
    dests.elements.map((e) => [e.set.name, e.cgroupId, e.proto, e.remote, e.port, e.ifindex, e.bytes, e.packets, e.expiresSec]),
    [
      ['dst4_out', 2683566, 6, '10.200.3.2', 7201, 2, 300788, 15, 598.808],
      ['dst4_out_svc', 2683547, 6, '10.200.3.2', 7400, 2, 208, 4, 599.192],
      ['dst6_out', 2683566, 58, 'fd00:200:3::2', 0, 2, 208, 2, 599.928],
      ['dst4_in', 2683566, 6, '10.200.3.2', 7201, 2, 580, 11, 598.808],
      ['dst4_in_svc', 2683547, 6, '10.200.3.2', 7400, 2, 20320, 6, 599.192],
    ],
  );
  assert.deepEqual(dests.elements.map((e) => `${e.set.direction}${e.set.inbound ? '/svc' : ''}`), ['out', 'out/svc', 'out', 'in', 'in/svc']);
  const sent = dests.elements.filter((e) => e.cgroupId === 2683566 && e.set.direction === 'out');
  assert.deepEqual([sent.reduce((n, e) => n + e.bytes, 0), sent.reduce((n, e) => n + e.packets, 0)], [300996, 17], "the app's destinations add up to its counter");
  assert.deepEqual(dests.fill.dst6_out_svc, { count: 0, size: 4096 });
  assert.equal(Object.keys(dests.fill).length, 6);
  assert.deepEqual(Object.keys(d.snapshot.setFill), ['acct_out'], 'destination sets are not counter sets');
  assert.deepEqual(parseNftDump('nftdump 2\ntable 3\nset acct_out 262144 24\nelems acct_out []\nend 3\n')!.snapshot.dests, { elements: [], fill: {} }, 'destinations off: none');
  assert.throws(() => parseNftDump(DUMP.replace('set dst6_out 4096 36', 'set dst6_out 4096 24')), /dst6_out has 24-byte keys, expected 36/);
  assert.throws(() => parseNftDump(DUMP.replace('"fd00:200:3::2"', '"10.1.1.1; x"')), /bad element of dst6_out/);
  assert.throws(() => parseNftDump(DUMP.replace('"10.200.3.2",7400,2,20320', '"fd00::1",7400,2,20320')), /bad element of dst4_in_svc/);
  assert.throws(() => parseNftDump(DUMP.replace('"10.200.3.2",7201,2,300788', '"10.200.3.2",72010,2,300788')), /bad element of dst4_out/);
  assert.throws(() => parseNftDump(DUMP.replace(',2,208,2,599928]', ',2,208,2]')), /not \[id, proto/);
  assert.throws(() => parseNftDump(DUMP.replace('set dst4_in_svc 4096 24\n', '')), /before its set record/);
  assert.throws(() => parseNftDump(DUMP.replace('delems dst4_out ', 'delems acct_in ')), /before its set record, or not a destination set/);
});

test('deltas of expiring destinations: growth; one missing from a listing is kept until it must have expired; one expired and made again counts from zero', () => {
  const kind = { family: NFT_DEST_FAMILY, timeoutMs: 600_000 };
  const e = (bytes: number, expiresMs: number, port = 7201): DestReading => ({ cgroupId: 7, ifindex: 2, ifname: 'wlan0', direction: 'out', remote: '10.0.0.2', proto: 6, port, inbound: false, bytes, packets: bytes / 100, expiresMs });
  const a = destDeltas([e(1000, 600_000), e(500, 600_000, 443)], 3, new Map(), 0, kind);
  assert.deepEqual(a.deltas.map((d) => d.bytes), [1000, 500]);
  assert.ok(a.next.every((s) => s.setName === NFT_DEST_FAMILY && s.expiresAt === 600_000));
  const states = new Map<string, CounterState>(a.next.map((s) => [`${s.setName}/${s.elemKey}`, s]));
  // 10 s later: port 7201 grew; port 443 is missing from the listing but cannot have expired yet.
  const b = destDeltas([e(1500, 600_000)], 3, states, 10_000, kind);
  assert.deepEqual(b.deltas.map((d) => [d.port, d.bytes]), [[7201, 500]]);
  assert.deepEqual(b.gone, [], 'kept: a listing can skip an element');
  for (const s of b.next) states.set(`${s.setName}/${s.elemKey}`, s);
  // Back in the next listing: only its growth counts.
  const c = destDeltas([e(1500, 590_000), e(600, 600_000, 443)], 3, states, 20_000, kind);
  assert.deepEqual(c.deltas.map((d) => [d.port, d.bytes]), [[443, 100]]);
  // 20 minutes on, 7201 expired (idle) and a new element with more bytes than before was made 2 s ago: all of it is new.
  const d = destDeltas([e(2000, 598_000)], 3, states, 1_220_000, kind);
  assert.deepEqual(d.deltas.map((x) => [x.port, x.bytes]), [[7201, 2000]]);
  assert.deepEqual(d.gone, [`${NFT_DEST_FAMILY}/7|#2|out|10.0.0.2|6|443|R`], 'port 443 must have expired by now');
  // A re-created table (another handle): everything of the old one goes.
  assert.equal(destDeltas([], 4, states, 30_000, kind).gone.length, 2);
});
