/** The destinations map's dump (lib/dest-dump.ts), its deltas (lib/destinations.ts) and the rule pre-fill of a destination row. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { destKeyWord, parseDestDeleted, parseDestDump, parseDestSwitch } from '../../lib/dest-dump';
import { blockParam, destDeltas, parseBlockParam, protocolName } from '../../lib/destinations';
import type { CounterState } from '../../lib/delta';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { foldPrivacy64, privacyPrefix64 } from '../../lib/dest-fold';
import { parseRemote } from '../../lib/rules/values';

// As bpfcount printed it in a sandbox: ping to a peer over IPv4 and IPv6, a TCP connection, one made to a service.
const DUMP = [
  'bpfcount 1',
  'dests 678 4 16384',
  'entries [[1234645,2,"wlan0",0,"10.200.3.2",1,0,0,168,2],[1234645,2,"wlan0",1,"fd00:200:3::2",58,0,0,208,2],[1234645,2,null,1,"10.200.3.2",6,7201,0,3000,5],[1234700,2,"wlan0",0,"10.200.3.9",6,8080,1,900,3]]',
  'end',
  '',
].join('\n');

test('a dump: addresses, protocol, port, inbound, values; names of gone interfaces null', () => {
  const d = parseDestDump(DUMP);
  assert.deepEqual([d.mapId, d.count, d.capacity, d.entries.length], [678, 4, 16384, 4]);
  assert.deepEqual(d.entries[1], { cgroupId: 1234645, ifindex: 2, ifname: 'wlan0', direction: 'out', remote: 'fd00:200:3::2', proto: 58, port: 0, inbound: false, bytes: 208, packets: 2 });
  assert.equal(d.entries[2].ifname, null);
  assert.equal(d.entries[3].inbound, true);
  assert.equal(destKeyWord(d.entries[3]), '1234700,2,0,10.200.3.9,6,8080,1');
  assert.deepEqual([...parseDestDeleted('deleted 1234700,2,0,10.200.3.9,6,8080,1\nend\n')], ['1234700,2,0,10.200.3.9,6,8080,1']);
  assert.equal(parseDestSwitch('destinations off\nend\n'), false);
  assert.throws(() => parseDestDump('bpfcount 1\nerror reading the destinations map: Bad file descriptor\nend\n'), /Bad file descriptor/);
  assert.throws(() => parseDestDump(DUMP.replace('"10.200.3.9"', '"10.200.3.9; rm"')), /malformed/);
});

test('deltas: growth since the last poll; an entry missing from the dump (evicted) is forgotten at once', () => {
  const first = parseDestDump(DUMP);
  const a = destDeltas(first.entries, 678, new Map(), 1000);
  assert.equal(a.deltas.length, 4);
  const states = new Map<string, CounterState>(a.next.map((s) => [`${s.setName}/${s.elemKey}`, s]));
  const grown = first.entries.slice(1).map((e, i) => (i === 1 ? { ...e, bytes: e.bytes + 1500, packets: e.packets + 1 } : e));
  const b = destDeltas(grown, 678, states, 2000);
  assert.deepEqual(b.deltas.map((d) => [d.remote, d.proto, d.bytes, d.packets, d.iface]), [['10.200.3.2', 6, 1500, 1, 'if2']]);
  assert.equal(b.idle.length, 2);
  assert.deepEqual(b.gone, [`dest/1234645|#2|in|10.200.3.2|1|0|R`], 'the evicted ping entry');
  const c = destDeltas(grown, 999, states, 3000);
  assert.equal(c.deltas.reduce((n, d) => n + d.bytes, 0), 208 + 4500 + 900, 'a new map: everything counts from zero');
});

test("a row's rule: out to its address and port, or in to the app's own port", () => {
  assert.equal(blockParam({ remote: '10.0.0.1', proto: 6, port: 443, inbound: false }), 'out,10.0.0.1,tcp,443');
  assert.deepEqual(parseBlockParam('out,10.0.0.1,tcp,443'), { direction: 'out', remote: '10.0.0.1', protocol: 'tcp', localPort: '', remotePort: '443' });
  assert.deepEqual(parseBlockParam(blockParam({ remote: 'fd00::2', proto: 17, port: 53, inbound: true })), { direction: 'in', remote: 'fd00::2', protocol: 'udp', localPort: '53', remotePort: '' });
  assert.deepEqual(parseBlockParam(blockParam({ remote: 'fd00::2', proto: 58, port: 0, inbound: false })), { direction: 'out', remote: 'fd00::2', protocol: 'any', localPort: '', remotePort: '' });
  for (const bad of ['out,10.0.0.1,tcp,70000', 'up,10.0.0.1,tcp,1', 'out,a b,tcp,1', ['out,10.0.0.1,tcp,1'], undefined]) assert.equal(parseBlockParam(bad), null);
  assert.deepEqual([1, 6, 17, 58, 132].map(protocolName), ['icmp', 'tcp', 'udp', 'icmpv6', '132']);
});

test('a /64 of privacy addresses: only IPv6 with an interface identifier not numbered by hand', () => {
  assert.equal(privacyPrefix64('2001:db8:1:2:a1b2:c3d4:e5f6:789'), '2001:db8:1:2::/64');
  assert.equal(privacyPrefix64('fe80::a1b2:c3d4:e5f6:789'), 'fe80::/64');
  for (const kept of ['2001:db8:1:2::1', '2001:db8:1:2::a:1', '::ffff:10.0.0.1', '0:0:0:0:0:ffff:a00:1', '10.0.0.1', 'fd00::2', '']) assert.equal(privacyPrefix64(kept), null, kept);
  const r = (remote: string, bytes: number, host: string | null = null) => ({ remote, host, proto: 6, port: 443, inbound: true, rxBytes: bytes, txBytes: 1, rxPackets: 1, txPackets: 1, firstSeen: bytes, lastSeen: bytes });
  const rows = [r('2001:db8:1:2:1:2:3:4', 10), r('2001:db8:1:2:5:6:7:8', 30), r('2001:db8:1:2:9:a:b:c', 20, 'a.example'), r('10.0.0.1', 35)];
  assert.deepEqual(foldPrivacy64(rows).map((x) => [x.remote, x.addresses, x.rxBytes, x.txBytes, x.firstSeen, x.lastSeen]), [
    ['2001:db8:1:2::/64', 2, 40, 2, 10, 30],
    ['10.0.0.1', 1, 35, 1, 35, 35],
    ['2001:db8:1:2:9:a:b:c', 1, 20, 1, 20, 20],
  ]);
  assert.deepEqual(foldPrivacy64(rows, 'off').map((x) => [x.remote, x.addresses]), rows.map((x) => [x.remote, 1]));
});

test('the /64 of any IPv6 text, eight groups or compressed, is what ipaddr.js makes of it', () => {
  const reference = (text: string) => {
    const a = ipaddr.IPv6.parse(text);
    const p = a.parts;
    if (a.isIPv4MappedAddress() || (p[4] === 0 && p[5] === 0)) return null;
    return `${new ipaddr.IPv6([...p.slice(0, 4), 0, 0, 0, 0]).toString()}/64`;
  };
  const group = fc.oneof(fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff }));
  fc.assert(
    fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), fc.boolean(), (parts, padded) => {
      const a = new ipaddr.IPv6(parts);
      const texts = [a.toString(), a.toNormalizedString(), padded ? parts.map((x) => x.toString(16).padStart(4, '0')).join(':') : parts.map((x) => x.toString(16).toUpperCase()).join(':')];
      for (const t of texts) assert.equal(privacyPrefix64(t), reference(t), t);
    }),
    { numRuns: 2000 },
  );
});

test("a folded row's rule pre-fills its /64, which the rule form takes as a remote", () => {
  const param = blockParam({ remote: '2001:db8:1:2::/64', proto: 6, port: 443, inbound: true });
  assert.equal(param, 'in,2001:db8:1:2::/64,tcp,443');
  const pre = parseBlockParam(param);
  assert.deepEqual(pre, { direction: 'in', remote: '2001:db8:1:2::/64', protocol: 'tcp', localPort: '443', remotePort: '' });
  assert.deepEqual(parseRemote(pre!.remote), { ok: true, value: { v4: [], v6: ['2001:db8:1:2::/64'] } });
  for (const bad of ['in,2001:db8::/64/1,tcp,1', 'in,2001:db8::/,tcp,1', 'in,2001:db8::/1234,tcp,1']) assert.equal(parseBlockParam(bad), null, bad);
});
