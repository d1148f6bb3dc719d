import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, schemaVersion, type Db } from '../../db/open';
import {
  deleteRule, getFirewallSignature, getFwApps, getFwState, getRules, insertRule, updateRule, upsertAppPolicy,
} from '../../db/queries/rules';
import { addRule, changeRule, removeAppPolicy, removeRule, setAppPolicy } from '../../db/rules-edit';
import { firewallExtension } from '../../collector/firewall';
import { cycleBounds } from '../../lib/period';
import { seedDb } from '../fixtures/seed';
import { planFirewall, recordFirewallResult, storeFirewallCounters } from '../../collector/rules/plan';
import { parseFirewallCounters } from '../../lib/nft/firewall-parse';
import { validateAppPolicy, validateRule, type Rule } from '../../lib/rules/model';
import { applyStatus } from '../../lib/rules/status';

function withDb(fn: (db: Db) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'appnet-rules-db-'));
  const db = openDb(join(dir, 'a.db'), { migrate: true });
  try {
    fn(db);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
const rule = (input: Record<string, unknown>): Rule => {
  const v = validateRule(input);
  if (!v.ok) throw new Error(v.message);
  return v.value;
};
const policy = (input: Record<string, unknown>) => {
  const v = validateAppPolicy(input);
  if (!v.ok) throw new Error(v.message);
  return v.value;
};
const NOW = 1_780_000_000;

test('migration 002 creates the rules tables on top of 001', () => {
  withDb((db) => {
    assert.ok(schemaVersion(db) >= 2);
    for (const t of ['rules', 'fw_apps', 'fw_state']) assert.ok(db.prepare("SELECT 1 FROM sqlite_master WHERE name = ?").get(t), t);
    assert.equal(getFwState(db).objects, '{"chains":[],"counters":[],"quotas":[]}');
  });
});

test('a rule goes pending → applied → pending on edit → error when the batch fails, and keeps its applied version', () => {
  withDb((db) => {
    const id = insertRule(db, rule({ app: 'nginx.service', direction: 'in', action: 'drop', localPort: 80 }), NOW);
    const status = () => applyStatus(getRules(db).find((r) => r.id === id)!);
    assert.equal(status(), 'pending');
    const sig = getFirewallSignature(db);
    const cmds = planFirewall(db, ['system.slice', 'system.slice/nginx.service'], [], { now: NOW });
    assert.ok(cmds.includes('add element inet appnet fw_in { "system.slice/nginx.service" : goto fw_a1_in }'));
    recordFirewallResult(db, true, null, NOW);
    assert.equal(status(), 'applied');
    assert.deepEqual(JSON.parse(getFwState(db).objects).chains, ['fw_a1_in', 'fw_a1_out']);
    updateRule(db, id, rule({ app: 'nginx.service', direction: 'in', action: 'drop', localPort: 443 }), NOW + 1);
    assert.notEqual(getFirewallSignature(db), sig);
    assert.equal(status(), 'pending');
    planFirewall(db, [], [], { now: NOW });
    recordFirewallResult(db, false, 'Error: Could not process rule: No such file or directory', NOW + 2);
    assert.equal(status(), 'error');
    const row = getRules(db)[0];
    assert.equal(row.appliedVersion, 1);
    assert.match(row.lastError ?? '', /No such file/);
    assert.ok(changeRule(db, id, { enabled: false }, NOW + 3).ok);
    planFirewall(db, [], [], { now: NOW });
    recordFirewallResult(db, true, null, NOW + 4);
    assert.equal(status(), 'disabled');
    assert.ok(deleteRule(db, id));
    assert.equal(deleteRule(db, id), false);
  });
});

test('a row that fails re-validation is left out of the batch and says why', () => {
  withDb((db) => {
    db.prepare(`INSERT INTO fw_apps (app_key, updated_at) VALUES ('x.service', 0)`).run();
    db.prepare(`INSERT INTO rules (app_key, direction, action, remote, created_at, updated_at) VALUES ('x.service', 'in', 'drop', '1.2.3.4 } ; flush ruleset', 0, 0)`).run();
    const cmds = planFirewall(db, ['system.slice/x.service'], [], { now: NOW });
    assert.ok(!cmds.some((c) => c.includes('flush ruleset') || c.includes('1.2.3.4')));
    recordFirewallResult(db, true, null, NOW);
    assert.match(getRules(db)[0].lastError ?? '', /^rule 1 is invalid and was not applied: remote: /);
    assert.equal(getRules(db)[0].appliedVersion, 0);
  });
});

test('quota use and rule hits are read back; a new billing cycle resets the quota in the batch', () => {
  withDb((db) => {
    const p = validateAppPolicy({ app: 'app:firefox', quotaBytes: '1MiB', quotaCycleDay: 1 });
    assert.ok(p.ok);
    const appId = upsertAppPolicy(db, p.value, NOW);
    planFirewall(db, [], [], { now: NOW });
    recordFirewallResult(db, true, null, NOW);
    const start = getFwApps(db)[0].quotaCycleStart;
    assert.ok(start !== null && start <= NOW);
    storeFirewallCounters(db, parseFirewallCounters(JSON.stringify({ nftables: [{ quota: { name: `fw_q${appId}`, bytes: 1048576, used: 5000 } }] })));
    assert.equal(getFwApps(db)[0].quotaUsed, 5000);
    const same = planFirewall(db, [], [], { now: NOW + 60 });
    assert.ok(same.includes(`add quota inet appnet fw_q${appId} { over 1048576 bytes used 5000 bytes }`));
    assert.ok(!same.includes(`delete quota inet appnet fw_q${appId}`), 'within its cycle the kernel keeps counting');
    recordFirewallResult(db, true, null, NOW + 60);
    const later = NOW + 40 * 86400;
    const next = planFirewall(db, [], [], { now: later });
    assert.ok(next.includes(`delete quota inet appnet fw_q${appId}`));
    recordFirewallResult(db, true, null, later);
    assert.equal(getFwApps(db)[0].quotaUsed, 0);
    assert.ok((getFwApps(db)[0].quotaCycleStart ?? 0) > (start ?? 0));
  });
});

test('a new cap starts from what the store counted this cycle: an app already over it is blocked from the first packet', () => {
  const dir = mkdtempSync(join(tmpdir(), 'appnet-rules-seed-'));
  try {
    const now = Math.floor(Date.now() / 1000);
    const seeded = seedDb(join(dir, 's.db'), { now, days: 3 });
    const db = openDb(join(dir, 's.db'));
    try {
      const start = cycleBounds(seeded.now, 1).since;
      const truth = seeded.sum({ since: Math.max(start, seeded.now - 3 * 86400), until: seeded.now + 1, appKey: 'app:firefox', ifaces: ['wwan0'] });
      const used = truth.rx + truth.tx;
      assert.ok(used > 1024, `the seed has Firefox traffic on the metered link this cycle: ${used}`);
      const appId = upsertAppPolicy(db, policy({ app: 'app:firefox', quotaBytes: 1024, quotaNetwork: 'metered' }), now);
      const ifaces = [{ name: 'wwan0', kind: 'mobile', metered: true }, { name: 'wlan0', kind: 'wifi', metered: false }];
      const cmds = planFirewall(db, [], ifaces, { now: seeded.now + 5 });
      const add = cmds.filter((c) => c.startsWith(`add quota inet appnet fw_q${appId} `)).at(-1) ?? '';
      assert.ok(cmds.includes(`delete quota inet appnet fw_q${appId}`), 're-created so its count is set');
      assert.equal(add, `add quota inet appnet fw_q${appId} { over 1024 bytes used 1024 bytes }`, 'over the cap already: the kernel quota starts full');
      recordFirewallResult(db, true, null, seeded.now + 5);
      const row = getFwApps(db).find((a) => a.id === appId);
      assert.ok(row && Math.abs(row.quotaUsed - used) <= used * 0.01, `the page shows the cycle's use at once: ${row?.quotaUsed}, the store holds ${used} (wwan0 only, not Wi-Fi)`);
      storeFirewallCounters(db, parseFirewallCounters(JSON.stringify({ nftables: [{ quota: { name: `fw_q${appId}`, bytes: 1024, used: 1500 } }] })));
      assert.equal(getFwApps(db).find((a) => a.id === appId)?.quotaUsed, row.quotaUsed, 'the kernel\'s count (from the limit) does not lower it');
      assert.equal(row?.quotaCycleStart, start);
      const again = planFirewall(db, [], ifaces, { now: seeded.now + 10 });
      assert.ok(!again.includes(`delete quota inet appnet fw_q${appId}`), 'seeded once per cycle');
      recordFirewallResult(db, true, null, seeded.now + 10);
      upsertAppPolicy(db, policy({ app: 'app:firefox', quotaBytes: 1024, quotaNetwork: 'any' }), now);
      planFirewall(db, [], ifaces, { now: seeded.now + 20 });
      recordFirewallResult(db, true, null, seeded.now + 20);
      const all = seeded.sum({ since: Math.max(start, seeded.now - 3 * 86400), until: seeded.now + 1, appKey: 'app:firefox' });
      const n = getFwApps(db).find((a) => a.id === appId)?.quotaUsed ?? 0;
      assert.ok(Math.abs(n - (all.rx + all.tx)) <= (all.rx + all.tx) * 0.01, `a cap moved to every network is seeded again from every network: ${n}`);
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('removing an app\'s settings keeps its rules (the row only anchors them); removing its last rule drops an idle row', () => {
  withDb((db) => {
    const r = addRule(db, { app: 'nginx.service', direction: 'in', action: 'drop', localPort: 80 }, NOW);
    assert.ok(r.ok);
    assert.ok(setAppPolicy(db, { app: 'nginx.service', defaultIn: 'reject', quotaBytes: '2GiB' }, NOW).ok);
    const removed = removeAppPolicy(db, 'nginx.service', NOW);
    assert.deepEqual(removed, { ok: true, value: { app: 'nginx.service', rulesKept: 1 } });
    const row = getFwApps(db)[0];
    assert.deepEqual([row.defaultIn, row.defaultOut, row.quotaBytes], ['inherit', 'inherit', null]);
    assert.equal(removeRule(db, r.value.id).ok, true);
    assert.deepEqual(getFwApps(db), [], 'the anchor went with the last rule');
    assert.equal(removeAppPolicy(db, 'nginx.service', NOW).ok, false);
    assert.ok(setAppPolicy(db, { app: 'app:firefox', quotaBytes: '1GiB' }, NOW).ok);
    assert.deepEqual(removeAppPolicy(db, 'app:firefox', NOW), { ok: true, value: { app: 'app:firefox', rulesKept: 0 } });
    assert.deepEqual(getFwApps(db), []);
    const merged = setAppPolicy(db, { app: 'app:firefox', quotaBytes: '1GiB', quotaNetwork: 'mobile' }, NOW);
    assert.ok(merged.ok);
    const only = setAppPolicy(db, { app: 'app:firefox', defaultOut: 'reject' }, NOW, { merge: true });
    assert.ok(only.ok && only.value.quotaBytes === 2 ** 30 && only.value.quotaNetwork === 'mobile' && only.value.defaultOut === 'reject', 'the CLI changes only what it names');
  });
});

/**
 * withApplied gives a store holding one rule (nginx inbound port 80 dropped, rule 1 of app 1),
 * a cgroup tree with nginx's cgroup, and the collector's firewall extension after its first
 * apply went in.
 */
function withApplied(fn: (db: Db, ext: ReturnType<typeof firewallExtension>, root: string) => void): void {
  withDb((db) => {
    const root = mkdtempSync(join(tmpdir(), 'appnet-rules-cg-'));
    mkdirSync(join(root, 'system.slice', 'nginx.service'), { recursive: true });
    try {
      addRule(db, { app: 'nginx.service', direction: 'in', action: 'drop', localPort: 80 }, NOW);
      const ext = firewallExtension(db, root);
      assert.ok(ext.commands([], []).some((c) => c.includes('"system.slice/nginx.service" : goto fw_a1_in')));
      ext.applied(true, null);
      fn(db, ext, root);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}

const hasRule1 = (cmds: string[]) => cmds.some((c) => c.startsWith('add rule inet appnet fw_a1_in ') && c.includes('"fw_r1"'));

test('when no plan can be made, the firewall extension applies the last good plan and records why (also after a restart)', () => {
  withApplied((db, first, root) => {
    assert.equal(getFwState(db).lastError, null);
    const fp = first.fingerprint([]);
    db.exec('ALTER TABLE rules RENAME TO rules_broken');
    assert.doesNotThrow(() => first.fingerprint([]));
    assert.notEqual(first.fingerprint([]), fp);
    let ext = first;
    for (const restarted of [false, true]) {
      if (restarted) ext = firewallExtension(db, root); // a restarted collector: only the store's copy is known
      assert.ok(hasRule1(ext.commands([], [])), `the last good rules are in the batch${restarted ? ' after a restart' : ''}`);
      assert.match(getFwState(db).lastError ?? '', /no plan could be made.*no such table: rules/);
      ext.applied(true, null);
      assert.match(getFwState(db).lastError ?? '', /no plan could be made/, 'a fallback apply keeps the error visible');
    }
    db.exec('ALTER TABLE rules_broken RENAME TO rules');
    ext.commands([], []);
    ext.applied(true, null);
    assert.equal(getFwState(db).lastError, null, 'a good plan clears it');
  });
});

test('when nft refuses the new rules, the next batch is the last good plan; rows not in it keep the error', () => {
  withApplied((db, ext) => {
    const r2 = addRule(db, { app: 'nginx.service', direction: 'in', action: 'drop', localPort: 81 }, NOW);
    assert.ok(r2.ok);
    assert.ok(ext.commands([], []).some((c) => c.includes('"fw_r2"')));
    ext.applied(false, 'Error: Could not process rule: No such file or directory');
    const fallback = ext.commands([], []);
    assert.ok(hasRule1(fallback) && !fallback.some((c) => c.includes('"fw_r2"')), 'the retry carries the last good rules');
    ext.applied(true, null);
    const rows = new Map(getRules(db).map((r) => [r.id, r]));
    assert.equal(applyStatus(rows.get(1)!), 'applied');
    assert.equal(applyStatus(rows.get(r2.value.id)!), 'error');
    assert.match(rows.get(r2.value.id)?.lastError ?? '', /No such file/);
    assert.match(getFwState(db).lastError ?? '', /nft refused the new rules/);
  });
});

test('a reading without the firewall marker (a table re-created without it) stops the rows claiming "applied"', () => {
  withApplied((db, ext) => {
    ext.observe({ rules: new Map([[0, { packets: 0, bytes: 0 }]]), quotas: new Map() });
    assert.equal(applyStatus(getRules(db)[0]), 'applied');
    const fp = ext.fingerprint([]);
    ext.observe({ rules: new Map(), quotas: new Map() });
    assert.equal(applyStatus(getRules(db)[0]), 'error');
    assert.match(getRules(db)[0].lastError ?? '', /re-created without the firewall/);
    assert.notEqual(ext.fingerprint([]), fp, 'the next poll loads it again');
    ext.commands([], []);
    ext.applied(true, null);
    assert.equal(applyStatus(getRules(db)[0]), 'applied');
  });
});
