import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { bpfKeyWord, parseBpfDeleted, parseBpfDump, parseBpfReady, splitBpfEntries } from '../../lib/bpf-dump';
import { entryElemKey } from '../../lib/counters';
import type { CounterDelta, CounterValue } from '../../lib/delta';
import { unattributedDeltas } from '../../lib/unattributed';

// Recorded in a sandbox: ping.service (cgroup 1144756) pinged over wlan0 (ifindex 2); the
// sandbox root (1144718) sent neighbour discovery; a removed veth (ifindex 9) has no name any more.
const dump = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'bpf', 'bpfcount-dump.txt'), 'utf8');

test('parseBpfDump reads the map id, fill and entries, directions and unnamed interfaces', () => {
  const d = parseBpfDump(dump);
  assert.equal(d.mapId, 655);
  assert.deepEqual([d.count, d.capacity], [4, 65536]);
  assert.deepEqual(d.entries[0], { cgroupId: 1144756, ifindex: 2, ifname: 'wlan0', direction: 'in', segments: false, foreign: false, bytes: 168, packets: 2 });
  assert.equal(d.entries[1].direction, 'out');
  assert.equal(d.entries[3].ifname, null);
});

test('the helper\'s errors and malformed answers throw with its reason', () => {
  assert.throws(() => parseBpfDump('bpfcount 1\nerror reading the counter map: Bad file descriptor\nend\n'), /^Error: reading the counter map: Bad file descriptor$/);
  assert.throws(() => parseBpfDump('bpfcount 1\nmap 1 1 10\nentries [[1,2,"x",7,1,1]]\nend\n'), /malformed entries/);
  assert.throws(() => parseBpfDump('bpfcount 1\nmap 1 1 10\nentries [[1,2,"x",6,1,1]]\nend\n'), /malformed entries/);
  assert.throws(() => parseBpfDump('nftdump 2\nend -\n'), /malformed dump/);
  assert.deepEqual(parseBpfReady('ready 655 65536 reused\nend\n'), { mapId: 655, capacity: 65536, created: false, destinations: null, netnsApart: false });
  assert.deepEqual(parseBpfReady('ready 655 65536 created\ndests 656 16384 off\nnetns apart\nend\n'), { mapId: 655, capacity: 65536, created: true, destinations: false, netnsApart: true });
  assert.throws(() => parseBpfReady("error no BPF filesystem is mounted at /sys/fs/bpf/appnet's parent (mount -t bpf bpf /sys/fs/bpf)\nend\n"), /no BPF filesystem/);
});

test('delete requests name entries as CGROUP:IFINDEX:DIR, and the answer lists those removed', () => {
  assert.equal(bpfKeyWord({ cgroupId: 42, ifindex: 3, direction: 'out' }), '42:3:1');
  assert.deepEqual([...parseBpfDeleted('deleted 42:3:1\ndeleted 42:3:0\nend\n')], ['42:3:1', '42:3:0']);
});

test("another network namespace's entries (direction + 4) carry that namespace's index and no name, and are deleted by it", () => {
  const d = parseBpfDump('bpfcount 1\nmap 7 2 65536\nentries [[42,2,null,5,1228,1],[42,2,"wlan0",1,64,1]]\nend\n');
  assert.deepEqual(d.entries.map((e) => [e.direction, e.foreign, e.segments, e.ifname]), [['out', true, false, null], ['out', false, false, 'wlan0']]);
  assert.equal(bpfKeyWord({ cgroupId: 42, ifindex: 2, direction: 'out', foreign: true }), '42:2:5');
  assert.deepEqual([...parseBpfDeleted('deleted 42:2:5\nend\n')], ['42:2:5']);
});

// A GRO packet of 10 segments of 1,000 bytes arrived for cgroup 42 on eth0 (ifindex 3): one skb of
// 10,052 bytes (IPv4 20 + TCP 32) that nft counts once; on the wire, 10 packets of 1,052 bytes.
const wireDump = 'bpfcount 1\nmap 7 4 65536\nentries [[42,3,"eth0",0,10520,10],[42,3,"eth0",2,468,9],[1,3,"eth0",1,1000,2],[1,3,"eth0",3,52,1]]\nend\n';

test('segments\' extra headers are entries of their own (direction + 2), kept per cgroup; the root cgroup\'s are left out', () => {
  const d = parseBpfDump(wireDump);
  assert.deepEqual(d.entries.map((e) => [e.cgroupId, e.direction, e.segments]), [[42, 'in', false], [42, 'in', true], [1, 'out', false], [1, 'out', true]]);
  const { apps, segments } = splitBpfEntries(d.entries, 1);
  assert.deepEqual(apps.map((e) => [e.cgroupId, e.bytes, e.packets]), [[42, 10520, 10]]);
  assert.deepEqual(segments.map((e) => [e.cgroupId, e.bytes, e.packets]), [[42, 468, 9]]);
  assert.equal(bpfKeyWord({ cgroupId: 42, ifindex: 3, direction: 'in', segments: true }), '42:3:2');
  assert.equal(bpfKeyWord({ cgroupId: 42, ifindex: 3, direction: 'out', segments: true }), '42:3:3');
  assert.deepEqual([...parseBpfDeleted('deleted 42:3:2\nend\n')], ['42:3:2']);
});

test('a counter kept by interface index keeps its key when the interface is renamed or gone', () => {
  const e = { cgroupId: 42, iface: 'wlan0', ifindex: 3 };
  assert.equal(entryElemKey(e), entryElemKey({ ...e, iface: 'if3' }));
  assert.equal(entryElemKey({ cgroupId: null, iface: 'wlan0' }), '|wlan0', 'nft counters keep their name keys');
});

const delta = (iface: string, direction: 'in' | 'out', bytes: number, packets: number, cgroupId: number | null = 7): CounterDelta => ({ family: 'f', cgroupId, iface, direction, bytes, packets, elapsedMs: 1000 });

test('unattributedDeltas: total − apps per interface and direction; a negative rest is carried, not lost', () => {
  const carry = new Map<string, CounterValue>();
  const first = unattributedDeltas([delta('wlan0', 'out', 1000, 10, null), delta('wlan0', 'in', 500, 5, null)], [delta('wlan0', 'out', 900, 9), delta('wlan0', 'in', 600, 6)], carry);
  assert.deepEqual(first.map((d) => [d.iface, d.direction, d.bytes, d.packets, d.cgroupId]), [['wlan0', 'out', 100, 1, null]]);
  assert.deepEqual(carry.get('in|wlan0'), { bytes: -100, packets: -1 });
  const second = unattributedDeltas([delta('wlan0', 'in', 400, 4, null)], [delta('wlan0', 'in', 200, 2)], carry);
  assert.deepEqual(second.map((d) => [d.direction, d.bytes, d.packets]), [['in', 100, 1]]);
  assert.equal(carry.size, 0);
});

test('unattributedDeltas: a packet between the two reads (in the map, not yet in the totals) is never booked twice', () => {
  const carry = new Map<string, CounterValue>();
  // Poll 1: the totals hold 1000 B, all an app's; the map, read just after, 100 B more of the same app.
  assert.deepEqual(unattributedDeltas([delta('wlan0', 'in', 1000, 10, null)], [delta('wlan0', 'in', 1100, 11)], carry), []);
  // Poll 2: the totals catch up; nothing new for the app. Unattributed stays 0, apps = totals = 1100 B.
  assert.deepEqual(unattributedDeltas([delta('wlan0', 'in', 100, 1, null)], [], carry), []);
  assert.equal(carry.size, 0);
});

test('unattributedDeltas conserves: over any polls, apps + unattributed + carried rest = totals', () => {
  const poll = fc.record({ total: fc.nat(10_000), apps: fc.array(fc.nat(3000), { maxLength: 4 }) });
  fc.assert(
    fc.property(fc.array(poll, { maxLength: 20 }), (polls) => {
      const carry = new Map<string, CounterValue>();
      let totals = 0;
      let counted = 0;
      for (const p of polls) {
        totals += p.total;
        const apps = p.apps.map((b) => delta('eth0', 'out', b, 1));
        counted += p.apps.reduce((n, b) => n + b, 0);
        for (const d of unattributedDeltas([delta('eth0', 'out', p.total, 1, null)], apps, carry)) {
          assert.ok(d.bytes >= 0 && d.packets >= 0);
          counted += d.bytes;
        }
      }
      assert.equal(counted + (carry.get('out|eth0')?.bytes ?? 0), totals);
    }),
  );
});
