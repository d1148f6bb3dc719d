/**
 * The firewall as users run it: rules added with `appnet rules` while the collector is
 * running reach the kernel at its next poll, decide the first packet, survive a restart
 * of the service into a new cgroup, and are reported as applied.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmdirSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Link, Sandbox } from '../../collector/sandbox/sandbox';
import { APPNET, sleep, waitForPoll } from './helpers';
import { connect, liveCollector, POSTGRES, startServer, type LiveCollector } from './rules-helpers';

describe('rules applied by the running collector', () => {
  let live: LiveCollector;
  let s: Sandbox;
  let l: Link;
  let db: string;

  before(async () => {
    live = await liveCollector([{ name: 'eth0', subnet: 7 }]);
    ({ s, db } = live);
    [l] = live.links;
    await s.execOk(['ip', 'addr', 'add', '10.10.0.5/32', 'dev', l.peerName], { net: 'peer' });
    await s.execOk(['ip', 'route', 'add', '10.10.0.0/16', 'via', l.peerV4, 'dev', 'eth0']);
  });

  after(async () => {
    await live?.close();
  });

  const appnet = (...args: string[]) => s.execOk([process.execPath, APPNET, ...args, '--db', db]);

  const chains = async () => [...(await s.execOk(['nft', 'list', 'table', 'inet', 'appnet'])).matchAll(/chain (fw_input|fw_output) /g)].map((m) => m[1]).sort();

  test('without rules no firewall chain is on the packet path', async () => {
    await waitForPoll(db, Date.now());
    assert.deepEqual(await chains(), [], 'no fw_input, no fw_output');
  });

  test('postgresql: inbound only from 10.10.0.0/16, decided by the collector from the first packet', async () => {
    let pg = await startServer(s, { cgroup: POSTGRES, ports: [5432] });
    assert.match(await connect(s, { host: l.v4, port: 5432, net: 'peer' }), /^OK/, 'open before any rule');
    await appnet('rules', 'add', '--app', 'postgresql.service', '--direction', 'in', '--action', 'allow', '--remote', '10.10.0.0/16');
    await appnet('rules', 'default', '--app', 'postgresql.service', '--in', 'drop');
    await sleep(300);
    await waitForPoll(db, Date.now());
    await waitForPoll(db, Date.now());
    assert.match(await connect(s, { host: l.v4, port: 5432, net: 'peer' }), /^TIMEOUT/, 'refused source dropped');
    assert.match(await connect(s, { host: l.v4, port: 5432, src: '10.10.0.5', net: 'peer' }), /^OK/, 'allowed source passes');
    const seen = await pg.stop();
    assert.deepEqual(seen.slice(1), ['ACCEPT 5432 10.10.0.5'], 'after the rule, only the allowed source reached the socket');

    const d = new Database(db, { readonly: true });
    const rows = d.prepare('SELECT version, applied_version AS applied, last_error AS error FROM rules').all() as Array<{ version: number; applied: number; error: string | null }>;
    d.close();
    assert.equal(rows.length, 1);
    assert.equal(rows[0].applied, rows[0].version, `the rule reports it is in the kernel: ${JSON.stringify(rows[0])}`);
    assert.deepEqual(await chains(), ['fw_input'], 'inbound rules only: an inbound dispatch chain, no outbound one');

    // Restart into a new cgroup: the collector's watcher re-binds the rule.
    rmdirSync(s.cgroupPath(POSTGRES));
    pg = await startServer(s, { cgroup: POSTGRES, ports: [5432] });
    await sleep(1500);
    assert.match(await connect(s, { host: l.v4, port: 5432, net: 'peer' }), /^TIMEOUT/, 'still refused after the restart');
    assert.match(await connect(s, { host: l.v4, port: 5432, src: '10.10.0.5', net: 'peer' }), /^OK/);
    assert.deepEqual(await pg.stop(), ['ACCEPT 5432 10.10.0.5']);
  });
});
