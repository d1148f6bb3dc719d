// The README's server example and the side-by-side proof: inbound to postgresql only from
// 10.10.0.0/16, decided at the first packet, against iptables -m cgroup on INPUT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withSandbox, type Sandbox } from '../../collector/sandbox/sandbox';
import { getRules } from '../../db/queries/rules';
import { POSTGRES, addRule, applyAll, connect, setPolicy, startServer, tempDb } from './rules-helpers';

const IFACES = [{ name: 'eth0', kind: 'ethernet', metered: false }];

/** A peer with two source addresses: 10.10.0.5 (allowed) and 10.200.7.2 (not). */
async function network(s: Sandbox) {
  const l = await s.addLink({ name: 'eth0', subnet: 7 });
  await s.execOk(['ip', 'addr', 'add', '10.10.0.5/32', 'dev', l.peerName], { net: 'peer' });
  await s.execOk(['ip', 'route', 'add', '10.10.0.0/16', 'via', l.peerV4, 'dev', 'eth0']);
  // The service's cgroup exists (as systemd creates it before the service binds); the
  // re-binding of cgroups created later is tested in rules-rebind.test.ts.
  s.mkCgroup(POSTGRES);
  return l;
}

test('postgresql accepts inbound only from 10.10.0.0/16, on every port it listens on, from the first packet', async () => {
  const { db, close } = tempDb();
  try {
    await withSandbox(async (s) => {
      const l = await network(s);
      const ruleId = addRule(db, { app: 'postgresql.service', direction: 'in', action: 'allow', remote: '10.10.0.0/16' });
      setPolicy(db, { app: 'postgresql.service', defaultIn: 'drop' });
      assert.equal(await applyAll(s, db, IFACES), null);
      const rule = getRules(db).find((r) => r.id === ruleId);
      assert.equal(rule?.appliedVersion, rule?.version, 'the rule is marked applied');

      // Ports the rules never name: they follow the app, whatever it listens on.
      const pg = await startServer(s, { cgroup: POSTGRES, ports: [5432, 6543] });
      const results = [
        await connect(s, { host: l.v4, port: 5432, src: '10.10.0.5', net: 'peer' }),
        await connect(s, { host: l.v4, port: 6543, src: '10.10.0.5', net: 'peer' }),
        await connect(s, { host: l.v4, port: 5432, proto: 'udp', src: '10.10.0.5', net: 'peer' }),
        await connect(s, { host: l.v4, port: 5432, src: l.peerV4, net: 'peer' }),
        await connect(s, { host: l.v4, port: 6543, src: l.peerV4, net: 'peer' }),
        await connect(s, { host: l.v4, port: 5432, proto: 'udp', src: l.peerV4, net: 'peer' }),
        await connect(s, { host: l.v6, port: 5432, net: 'peer' }),
      ];
      const seen = await pg.stop();
      assert.deepEqual(results, ['OK 3', 'OK 3', 'OK 4', 'TIMEOUT 0', 'TIMEOUT 0', 'TIMEOUT 0', 'TIMEOUT 0']);
      assert.deepEqual(seen.sort(), ['ACCEPT 5432 10.10.0.5', 'ACCEPT 6543 10.10.0.5', 'DGRAM 5432 10.10.0.5'], 'nothing from other sources reached the sockets');
    });
  } finally {
    close();
  }
});

test('with reject as the default, refused clients learn it at once instead of timing out', async () => {
  const { db, close } = tempDb();
  try {
    await withSandbox(async (s) => {
      const l = await network(s);
      addRule(db, { app: 'postgresql.service', direction: 'in', action: 'allow', remote: '10.10.0.0/16' });
      setPolicy(db, { app: 'postgresql.service', defaultIn: 'reject' });
      assert.equal(await applyAll(s, db, IFACES), null);
      const pg = await startServer(s, { cgroup: POSTGRES, ports: [5432] });
      const refused = await connect(s, { host: l.v4, port: 5432, src: l.peerV4, net: 'peer' });
      const allowed = await connect(s, { host: l.v4, port: 5432, src: '10.10.0.5', net: 'peer' });
      const seen = await pg.stop();
      assert.equal(refused, 'ERR ECONNREFUSED');
      assert.equal(allowed, 'OK 3');
      assert.deepEqual(seen, ['ACCEPT 5432 10.10.0.5']);
    });
  } finally {
    close();
  }
});

test('side by side: iptables -m cgroup --path REJECT on INPUT lets the first SYN reach the listener; appnet does not', async () => {
  await withSandbox(async (s) => {
    const l = await network(s);
    // iptables, inside the sandbox's own network namespace only.
    await s.execOk(['iptables', '-A', 'INPUT', '-m', 'cgroup', '--path', POSTGRES, '-j', 'REJECT']);
    const pg = await startServer(s, { cgroup: POSTGRES, ports: [5432] });
    await connect(s, { host: l.v4, port: 5432, src: l.peerV4, net: 'peer' });
    const seenWithIptables = await pg.stop();
    await s.execOk(['iptables', '-F', 'INPUT']);
    assert.deepEqual(seenWithIptables, [`ACCEPT 5432 ${l.peerV4}`], 'iptables: the SYN has no socket yet, so the cgroup match misses and the app accepts the connection');
  });
  const { db, close } = tempDb();
  try {
    await withSandbox(async (s) => {
      const l = await network(s);
      setPolicy(db, { app: 'postgresql.service', defaultIn: 'reject' });
      assert.equal(await applyAll(s, db, IFACES), null);
      const pg = await startServer(s, { cgroup: POSTGRES, ports: [5432] });
      const r = await connect(s, { host: l.v4, port: 5432, src: l.peerV4, net: 'peer' });
      assert.equal(r, 'ERR ECONNREFUSED');
      assert.deepEqual(await pg.stop(), [], 'appnet: the SYN is decided by the listener\'s cgroup and never reaches it');
    });
  } finally {
    close();
  }
});
