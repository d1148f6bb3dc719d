/**
 * One bad store row must not switch the firewall off. Rows written straight into SQLite
 * (id -1 in `rules` and in `fw_apps`) are skipped with an error on the row, the other
 * rules stay in force under the running collector, an app whose own settings row is
 * unusable but says "deny" stays closed, and after our table is deleted the collector
 * loads the firewall together with the counters again: never counting alone while the
 * store says "applied".
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import type { Link, Sandbox } from '../../collector/sandbox/sandbox';
import { APPNET, sleep, waitForPoll } from './helpers';
import { NGINX, POSTGRES, connect, liveCollector, startServer, type LiveCollector } from './rules-helpers';

interface Row {
  id: number;
  version: number;
  applied: number;
  error: string | null;
}

describe('bad store rows under the running collector', () => {
  let live: LiveCollector;
  let s: Sandbox;
  let l: Link;
  let db: string;

  const sql = <T,>(fn: (d: Database.Database) => T): T => {
    const d = new Database(db);
    try {
      return fn(d);
    } finally {
      d.close();
    }
  };
  const rows = (table: 'rules' | 'fw_apps'): Row[] =>
    sql((d) => d.prepare(`SELECT id, version, applied_version AS applied, last_error AS error FROM ${table} ORDER BY id`).all() as Row[]);
  const appnet = (...args: string[]) => s.execOk([process.execPath, APPNET, ...args, '--db', db]);
  const settle = async () => {
    await sleep(300);
    await waitForPoll(db, Date.now());
    await waitForPoll(db, Date.now());
  };
  /** probe connects from the peer to postgres (5432) and nginx (80), each in its own cgroup. */
  const probe = async () => {
    const pg = await startServer(s, { cgroup: POSTGRES, ports: [5432] });
    const web = await startServer(s, { cgroup: NGINX, ports: [80] });
    const r = { postgres: await connect(s, { host: l.v4, port: 5432, net: 'peer' }), nginx: await connect(s, { host: l.v4, port: 80, net: 'peer' }) };
    await pg.stop();
    await web.stop();
    return r;
  };

  before(async () => {
    live = await liveCollector([{ name: 'eth0', subnet: 7 }], [POSTGRES, NGINX]);
    ({ s, db } = live);
    [l] = live.links;
  });

  after(async () => {
    await live?.close();
  });

  test('rows with id -1 in rules and fw_apps are skipped with an error; every other rule is applied', async () => {
    await appnet('rules', 'default', '--app', 'postgresql.service', '--in', 'reject');
    await appnet('rules', 'add', '--app', 'postgresql.service', '--direction', 'in', '--action', 'count');
    const now = Math.floor(Date.now() / 1000);
    sql((d) => {
      d.prepare("INSERT INTO fw_apps (id, app_key, default_in, updated_at) VALUES (-1, 'nginx.service', 'drop', ?)").run(now);
      d.prepare("INSERT INTO rules (id, app_key, direction, action, created_at, updated_at) VALUES (-1, 'postgresql.service', 'in', 'allow', ?, ?)").run(now, now);
    });
    await settle();
    assert.deepEqual(await probe(), { postgres: 'ERR ECONNREFUSED', nginx: 'TIMEOUT 0' }, 'postgres rejects inbound; nginx, whose settings row is unusable but says drop, stays closed');
    const rules = rows('rules');
    assert.match(rules.find((r) => r.id === -1)?.error ?? '', /rule -1 .*not applied.*id -1/);
    const good = rules.find((r) => r.id > 0);
    assert.equal(good?.applied, good?.version, `the good rule is applied: ${JSON.stringify(good)}`);
    assert.equal(good?.error, null);
    const apps = rows('fw_apps');
    assert.match(apps.find((a) => a.id === -1)?.error ?? '', /settings of nginx\.service .*id -1/);
    assert.equal(apps.find((a) => a.id === -1)?.applied, 0, 'the bad row does not claim to be applied');
    const pg = apps.find((a) => a.id > 0);
    assert.equal(pg?.applied, pg?.version);
    const metrics = await appnet('metrics');
    assert.match(metrics, /^appnet_firewall_row_errors 2$/m, 'both bad rows are counted in /metrics');
    assert.match(metrics, /^appnet_firewall_apply_ok 1$/m, 'the apply of the good rows succeeded');
  });

  test('after our table is deleted, the collector loads the firewall again with the counters', async () => {
    const before = sql((d) => d.prepare("SELECT COUNT(*) AS n FROM events WHERE kind = 'table-recreated'").get() as { n: number }).n;
    await s.execOk(['nft', 'delete', 'table', 'inet', 'appnet']);
    await settle();
    const after = sql((d) => d.prepare("SELECT COUNT(*) AS n FROM events WHERE kind = 'table-recreated'").get() as { n: number }).n;
    assert.ok(after > before, 'the collector noticed the table was gone');
    const text = await s.execOk(['nft', 'list', 'table', 'inet', 'appnet']);
    assert.match(text, /chain fw_input/, 'the firewall is back in the re-created table');
    assert.deepEqual(await probe(), { postgres: 'ERR ECONNREFUSED', nginx: 'TIMEOUT 0' });
    const good = rows('rules').find((r) => r.id > 0);
    assert.equal(good?.applied, good?.version, 'the store says applied, and it is');
  });
});
