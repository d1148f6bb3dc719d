// Rules across cgroup churn and failures: a restarted service and a relaunched app keep
// their rules; a row that fails validation never reaches nft; a batch nft refuses
// leaves the previous ruleset fully in force and says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmdirSync } from 'node:fs';
import { withSandbox } from '../../collector/sandbox/sandbox';
import { getFwState, getRules } from '../../db/queries/rules';
import { FIREFOX, POSTGRES, addRule, applyAll, connect, nft, ruleset, setPolicy, startServer, tempDb } from './rules-helpers';

const IFACES = [{ name: 'eth0', kind: 'ethernet', metered: false }];

// The collector re-plans when its cgroup tracker sees the tree change (test/privileged/
// collector-firewall.test.ts runs that end to end); here each change is followed by that re-plan.
test('a service restarted into a new cgroup, and a relaunched app, are re-bound when the firewall is re-planned', async () => {
  const { db, close } = tempDb();
  try {
    await withSandbox(async (s) => {
      const l = await s.addLink({ name: 'eth0', subnet: 7 });
      s.mkCgroup(POSTGRES);
      s.mkCgroup(FIREFOX);
      setPolicy(db, { app: 'postgresql.service', defaultIn: 'reject' });
      addRule(db, { app: 'app:firefox', direction: 'out', action: 'reject', protocol: 'tcp', remotePort: '443' });
      const replan = async () => assert.equal(await applyAll(s, db, IFACES), null);
      await replan();

      // Restart: the old cgroup goes, a new one (new id, same path) comes.
      let pg = await startServer(s, { cgroup: POSTGRES, ports: [5432] });
      assert.equal(await connect(s, { host: l.v4, port: 5432, net: 'peer' }), 'ERR ECONNREFUSED');
      await pg.stop();
      rmdirSync(s.cgroupPath(POSTGRES));
      s.mkCgroup(POSTGRES);
      await replan();
      pg = await startServer(s, { cgroup: POSTGRES, ports: [5432] });
      assert.equal(await connect(s, { host: l.v4, port: 5432, net: 'peer' }), 'ERR ECONNREFUSED', 'the restarted service keeps its rules');
      assert.deepEqual(await pg.stop(), []);

      // Relaunch: a second Firefox scope with another pid suffix is the same app.
      const firefox2 = FIREFOX.replace('4711', '5120');
      s.mkCgroup(firefox2);
      await replan();
      const web = await startServer(s, { net: 'peer', ports: [443, 80] });
      assert.equal(await connect(s, { host: l.peerV4, port: 443, cgroup: firefox2 }), 'ERR ECONNREFUSED');
      assert.equal(await connect(s, { host: l.peerV4, port: 80, cgroup: firefox2 }), 'OK 3');
      assert.deepEqual(await web.stop(), [`ACCEPT 80 ${l.v4}`]);
      const map = await s.execOk(['nft', 'list', 'map', 'inet', 'appnet', 'fw_out']);
      assert.match(map, /app-gnome-firefox-5120\.scope/);
    });
  } finally {
    close();
  }
});

test('a stored rule that fails validation (injection in a port) is left out and reported; nothing else is touched', async () => {
  const { db, close } = tempDb();
  try {
    await withSandbox(async (s) => {
      await nft(s, ['-f', '-'], 'add table ip sentinel\nadd chain ip sentinel c\n');
      const good = addRule(db, { app: 'nginx.service', direction: 'in', action: 'drop', localPort: '8080' });
      // Written behind the dashboard's back, straight into the database.
      const now = Math.floor(Date.now() / 1000);
      const bad = Number(
        db
          .prepare(`INSERT INTO rules (app_key, direction, action, local_port, created_at, updated_at) VALUES ('nginx.service', 'in', 'drop', '80; flush ruleset', ?, ?)`)
          .run(now, now).lastInsertRowid,
      );
      assert.equal(await applyAll(s, db, IFACES), null);
      const text = await ruleset(s);
      assert.match(text, /table ip sentinel/, 'other tables survive');
      assert.doesNotMatch(text, /flush|appnet:r2\b/);
      assert.match(text, /th dport 8080 .*appnet:r1/);
      const rows = new Map(getRules(db).map((r) => [r.id, r]));
      assert.equal(rows.get(good)?.appliedVersion, 1);
      assert.equal(rows.get(bad)?.appliedVersion, 0);
      assert.match(rows.get(bad)?.lastError ?? '', /rule 2 is invalid.*local port: '80; flush ruleset' is not a port/);
    });
  } finally {
    close();
  }
});

test('when nft refuses a batch, the previous ruleset stays fully active and the rules say why', async () => {
  const { db, close } = tempDb();
  try {
    await withSandbox(async (s) => {
      const l = await s.addLink({ name: 'eth0', subnet: 7 });
      s.mkCgroup(POSTGRES);
      setPolicy(db, { app: 'postgresql.service', defaultIn: 'reject' });
      assert.equal(await applyAll(s, db, IFACES), null);
      // Everything but the accounting sets, whose counters move with background packets (inbound
      // rules only: there is no fw_output, and `nft list chains` would show one appearing).
      const rulesNow = async () => {
        const parts: string[] = [];
        for (const c of ['acct_input', 'acct_output', 'fw_input', 'fw_a1_in', 'fw_a1_out']) parts.push(await s.execOk(['nft', 'list', 'chain', 'inet', 'appnet', c]));
        for (const m of ['fw_in', 'fw_out']) parts.push(await s.execOk(['nft', 'list', 'map', 'inet', 'appnet', m]));
        parts.push(await s.execOk(['nft', 'list', 'chains']));
        return parts.join('\n');
      };
      const before = await rulesNow();
      const added = addRule(db, { app: 'postgresql.service', direction: 'in', action: 'allow', remote: '10.200.7.0/24' });
      // A cgroup that vanished between listing and applying makes nft refuse the whole batch.
      const err = await applyAll(s, db, IFACES, ['gone.slice/postgresql.service']);
      assert.ok(err, 'the batch failed');
      assert.equal(await rulesNow(), before, 'the kernel holds exactly the previous ruleset');
      const pg = await startServer(s, { cgroup: POSTGRES, ports: [5432] });
      assert.equal(await connect(s, { host: l.v4, port: 5432, net: 'peer' }), 'ERR ECONNREFUSED', 'the previous rules still decide');
      assert.deepEqual(await pg.stop(), []);
      const row = getRules(db).find((r) => r.id === added);
      assert.equal(row?.appliedVersion, 0);
      assert.match(row?.lastError ?? '', /gone\.slice|No such file/);
      assert.match(getFwState(db).lastError ?? '', /\S/);
      // The next good apply clears the error.
      assert.equal(await applyAll(s, db, IFACES), null);
      assert.equal(getRules(db).find((r) => r.id === added)?.lastError, null);
    });
  } finally {
    close();
  }
});
