import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, schemaVersion, type Db } from '../../db/open';
import {
  deleteRule, getFirewallSignature, getFwApps, getFwState, getRules, insertRule, setRuleEnabled, updateRule, upsertAppPolicy,
} from '../../db/queries/rules';
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
    setRuleEnabled(db, id, false, NOW + 3);
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
    recordFirewallResult(db, true, null, NOW + 60);
    const later = NOW + 40 * 86400;
    const next = planFirewall(db, [], [], { now: later });
    assert.ok(next.includes(`delete quota inet appnet fw_q${appId}`));
    recordFirewallResult(db, true, null, later);
    assert.equal(getFwApps(db)[0].quotaUsed, 0);
    assert.ok((getFwApps(db)[0].quotaCycleStart ?? 0) > (start ?? 0));
  });
});
