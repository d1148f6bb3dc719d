/**
 * The collector's counter reader in a sandbox: over netlink while the helper works, the
 * nft JSON listing (in its numeric namespace) when the helper is missing or broken, with
 * the same numbers either way and one log line per reason.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createSandbox, type Sandbox } from '../../collector/sandbox/sandbox';
import { accountingCommands } from '../../lib/nft/accounting';
import { TRAFFIC } from './helpers';

const node = process.execPath;
const PROBE = join(import.meta.dirname, 'read-counters.ts');

interface Read {
  via: string;
  elements: string[];
  rules: Array<[number, { packets: number; bytes: number }]>;
  quotas: Array<[number, { used: number; limit: number }]>;
  handle: number;
}

describe('counter reader: netlink helper, JSON fallback', () => {
  let s: Sandbox;
  const read = async (helper: string) => JSON.parse(await s.execOk([node, '--import', 'tsx', PROBE, helper])) as { reads: Read[]; logs: string[] };

  before(async () => {
    s = await createSandbox();
    await s.execOk(['nft', '-f', '-'], { input: [...accountingCommands({ levels: [2], elementTimeoutSec: 600 }), 'add counter inet appnet fw_r3', 'add quota inet appnet fw_q9 { over 100000 bytes used 10 bytes }'].join('\n') + '\n' });
    await s.execOk([node, TRAFFIC, 'udp-send', '127.0.0.1', '9999', '4', '200'], { cgroup: 'system.slice/a.service' });
    await s.execOk([node, TRAFFIC, 'udp-send', '127.0.0.1', '9998', '2', '100'], { cgroup: 'system.slice/b.service' });
  });

  after(async () => {
    await s?.close();
  });

  test('the helper and the fallback read the same numbers; each fallback reason is logged once', async () => {
    const nl = await read(join(import.meta.dirname, '..', '..', 'collector', 'native', 'out', 'nftdump'));
    assert.deepEqual(nl.reads.map((r) => r.via), ['netlink', 'netlink']);
    assert.deepEqual(nl.logs, []);
    const missing = await read('/nonexistent/nftdump');
    assert.deepEqual(missing.reads.map((r) => r.via), ['json', 'json']);
    assert.equal(missing.logs.filter((l) => /not built/.test(l)).length, 1, missing.logs.join('\n'));
    const broken = await read('/bin/false');
    assert.deepEqual(broken.reads.map((r) => r.via), ['json', 'json'], 'a helper that fails is replaced by the JSON listing in the same poll');
    assert.equal(broken.logs.filter((l) => /helper failed/.test(l)).length, 1, `the same failure is logged once: ${broken.logs.join('\n')}`);
    const a = nl.reads[0];
    const b = missing.reads[0];
    assert.ok(a.elements.length >= 4, `two services each way, and unattributed: ${a.elements.join(', ')}`);
    assert.deepEqual(a.elements, b.elements);
    assert.deepEqual(a.rules, b.rules);
    assert.deepEqual(a.quotas, [[9, { used: 10, limit: 100000 }]]);
    assert.deepEqual(a.quotas, b.quotas);
    assert.equal(a.handle, b.handle);
  });
});
