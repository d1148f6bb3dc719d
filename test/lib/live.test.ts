import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBlockParam } from '../../lib/destinations';
import { groupSockets, isOpenPort, LIVE_LIMITS, liveBlockParam, parseSockdiag, socketStateName, unmapped, type SocketEntry } from '../../lib/live';

// What sockdiag printed for an app (cgroup 4242) with a listener on 8080, a connection made to
// it, one to a remote IPv6 host, a dual-stack socket's IPv4 peer, a connected and an unconnected
// UDP socket, and a socket of another cgroup.
const LISTING = `sockdiag 1
sockets [[6,10,4242,"",8080,"",0,0,0],[6,1,4242,"10.0.0.1",8080,"10.0.0.9",51000,1200,34],[6,1,4242,"fd00::1",40000,"2001:db8::5",443,5000,1500],[6,1,4242,"::ffff:10.0.0.1",40001,"::ffff:93.184.216.34",80,0,1],[17,1,4242,"10.0.0.1",5353,"10.0.0.53",53,null,null],[17,7,4242,"",68,"",0,null,null],[6,1,777,"10.0.0.1",40002,"10.0.0.2",22,10,10]]
end 7
`;

test('parseSockdiag reads every socket, writes IPv4-mapped addresses as IPv4, and keeps UDP without byte counts', () => {
  const s = parseSockdiag(LISTING);
  assert.equal(s.length, 7);
  assert.deepEqual(s[0], { proto: 6, state: 10, cgroupId: 4242, local: '', localPort: 8080, remote: '', remotePort: 0, rxBytes: 0, txBytes: 0 });
  assert.deepEqual([s[3].local, s[3].remote], ['10.0.0.1', '93.184.216.34']);
  assert.deepEqual([s[4].rxBytes, s[4].txBytes], [null, null]);
  assert.equal(s[2].remote, '2001:db8::5');
});

test('parseSockdiag refuses an error record, a truncated or malformed listing, with a sentence', () => {
  assert.throws(() => parseSockdiag('sockdiag 1\nerror listing sockets: Permission denied\nend -\n'), /sockdiag: listing sockets: Permission denied/);
  assert.throws(() => parseSockdiag('sockdiag 1\nsockets [[6,1,1,"a",1,"b",2,0,0]]\n'), /incomplete/);
  assert.throws(() => parseSockdiag('sockdiag 1\nsockets [[6,1,1,"a",1,"b",2,0,0]]\nend 2\n'), /listed 1 sockets but counted 2/);
  assert.throws(() => parseSockdiag('sockdiag 1\nsockets [[6,1,1,"a",70000,"b",2,0,0]]\nend 1\n'), /unexpected socket record/);
  assert.throws(() => parseSockdiag('sockdiag 1\nsockets [[1,1,1,"a",1,"b",2,0,0]]\nend 1\n'), /unexpected socket record/, 'only TCP and UDP');
  assert.throws(() => parseSockdiag('sockdiag 1\nsockets [[6,1\nend 1\n'), /not JSON/);
  assert.throws(() => parseSockdiag('nftdump 2\nend -\n'), /unknown output format/);
});

test('unmapped only rewrites IPv4-mapped IPv6 addresses', () => {
  assert.equal(unmapped('::ffff:1.2.3.4'), '1.2.3.4');
  assert.equal(unmapped('::1'), '::1');
  assert.equal(unmapped('2001:db8::ffff:1.2.3.4'), '2001:db8::ffff:1.2.3.4');
});

test('state names: TCP as ss writes them, UDP connected or open; open ports are listeners and UDP without a peer', () => {
  assert.equal(socketStateName(6, 1), 'established');
  assert.equal(socketStateName(6, 8), 'close-wait');
  assert.equal(socketStateName(6, 10), 'listen');
  assert.equal(socketStateName(6, 99), '99');
  assert.equal(socketStateName(17, 1), 'connected');
  assert.equal(socketStateName(17, 7), 'open');
  assert.ok(isOpenPort({ proto: 6, state: 10, remote: '' }));
  assert.ok(!isOpenPort({ proto: 6, state: 1, remote: '10.0.0.1' }));
  assert.ok(isOpenPort({ proto: 17, state: 7, remote: '' }));
  assert.ok(!isOpenPort({ proto: 17, state: 1, remote: '10.0.0.53' }));
});

test('groupSockets keeps the watched apps only, marks open ports and connections made to them, busiest first', () => {
  const appOf = (cg: number) => (cg === 4242 ? 1 : cg === 777 ? 2 : undefined);
  const [a] = groupSockets(parseSockdiag(LISTING), appOf, [1]);
  assert.equal(a.appId, 1);
  assert.equal(a.connections, 4);
  assert.equal(a.listening, 2);
  assert.deepEqual(a.sockets.map((s) => [s.remote, s.remotePort, s.listening, s.inbound]), [
    ['2001:db8::5', 443, false, false],
    ['10.0.0.9', 51000, false, true],
    ['93.184.216.34', 80, false, false],
    ['10.0.0.53', 53, false, false],
    ['', 0, true, false],
    ['', 0, true, false],
  ]);
  assert.deepEqual(a.sockets.filter((s) => s.listening).map((s) => [s.proto, s.localPort]), [[6, 8080], [17, 68]]);
  assert.ok(!a.sockets.some((s) => s.remote === '10.0.0.2'), "another app's socket is not this app's");
});

test('groupSockets gives every watched app an entry (empty when it holds nothing) and skips unknown cgroups and sockets without one', () => {
  const entries: SocketEntry[] = [
    { proto: 6, state: 1, cgroupId: null, local: '10.0.0.1', localPort: 1, remote: '10.0.0.2', remotePort: 2, rxBytes: 0, txBytes: 0 },
    { proto: 6, state: 1, cgroupId: 5, local: '10.0.0.1', localPort: 1, remote: '10.0.0.2', remotePort: 2, rxBytes: 0, txBytes: 0 },
  ];
  assert.deepEqual(groupSockets(entries, () => undefined, [3]), [{ appId: 3, connections: 0, listening: 0, sockets: [] }]);
});

test('groupSockets bounds each app to its busiest connections and first open ports, and counts them all', () => {
  const many: SocketEntry[] = [];
  for (let i = 0; i < LIVE_LIMITS.connections + 50; i++) many.push({ proto: 6, state: 1, cgroupId: 9, local: '10.0.0.1', localPort: 30000 + i, remote: '10.0.0.2', remotePort: 443, rxBytes: i, txBytes: 0 });
  for (let i = 0; i < LIVE_LIMITS.listening + 5; i++) many.push({ proto: 17, state: 7, cgroupId: 9, local: '', localPort: 1000 + i, remote: '', remotePort: 0, rxBytes: null, txBytes: null });
  const [a] = groupSockets(many, () => 1, [1]);
  assert.equal(a.connections, LIVE_LIMITS.connections + 50);
  assert.equal(a.listening, LIVE_LIMITS.listening + 5);
  const conns = a.sockets.filter((s) => !s.listening);
  assert.equal(conns.length, LIVE_LIMITS.connections);
  assert.equal(conns[0].rxBytes, LIVE_LIMITS.connections + 49, 'the busiest first');
  assert.equal(conns.at(-1)!.rxBytes, 50);
  assert.deepEqual(a.sockets.filter((s) => s.listening).map((s) => s.localPort), Array.from({ length: LIVE_LIMITS.listening }, (_, i) => 1000 + i));
});

test('a live row pre-fills a rule: outbound to its remote port, inbound to the app own port', () => {
  const out = liveBlockParam({ protocol: 'tcp', remote: '2001:db8::5', remotePort: 443, localPort: 40000, inbound: false });
  assert.equal(out, 'out,2001:db8::5,tcp,443');
  assert.deepEqual(parseBlockParam(out), { direction: 'out', remote: '2001:db8::5', protocol: 'tcp', localPort: '', remotePort: '443' });
  const inb = liveBlockParam({ protocol: 'udp', remote: '10.0.0.9', remotePort: 51000, localPort: 5353, inbound: true });
  assert.deepEqual(parseBlockParam(inb), { direction: 'in', remote: '10.0.0.9', protocol: 'udp', localPort: '5353', remotePort: '' });
});
