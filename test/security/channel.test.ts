/**
 * The dashboard → collector write channel on a real socket and a real store: the
 * collector's server (collector/channel) re-validates every request with the same zod
 * schemas, answers malformed, unknown, oversized and invalid requests with a reason and
 * writes nothing for them; the dashboard's client (app/_data/channel.ts) reports a
 * stopped collector in a sentence a user can act on.
 */
import assert from 'node:assert/strict';
import { chownSync, lstatSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openDb, type Db } from '../../db/open';
import { closeStore } from '../../db/store-file';
import { getRules, getFwApps } from '../../db/queries/rules';
import { channelHandlers } from '../../collector/channel/handlers';
import { startChannelServer, type ChannelServer } from '../../collector/channel/server';
import { CHANNEL_MAX_BYTES, controlSocketPath, encodeRequest } from '../../lib/channel';
import { tempDir } from '../privileged/helpers';

const IS_ROOT = process.getuid?.() === 0;
let tmp: ReturnType<typeof tempDir>;
let dbPath: string;
let db: Db;
let server: ChannelServer;
let writes = 0;
let callCollector: typeof import('../../app/_data/channel').callCollector;
let COLLECTOR_DOWN: string;

/** send writes raw bytes to the socket and returns the answer line, parsed. */
function send(text: string): Promise<{ ok: boolean; status?: number; message?: string; fields?: Record<string, string[]>; value?: unknown }> {
  return new Promise((ok, fail) => {
    const c = connect(server.path);
    let buf = '';
    c.setEncoding('utf8');
    c.on('connect', () => c.write(text));
    c.on('data', (d: string) => (buf += d));
    c.on('end', () => ok(JSON.parse(buf)));
    c.on('error', fail);
  });
}

before(async () => {
  tmp = tempDir();
  dbPath = join(tmp.dir, 'appnet.db');
  db = openDb(dbPath, { migrate: true });
  if (IS_ROOT) chownSync(dbPath, 0, 65534);
  server = await startChannelServer({ path: controlSocketPath(dbPath), dbPath, handlers: channelHandlers(db), onWrite: () => writes++ });
  process.env.APPNET_DB = dbPath;
  ({ callCollector, COLLECTOR_DOWN } = await import('../../app/_data/channel'));
});
after(async () => {
  await server?.close();
  closeStore(db);
  tmp.remove();
});

test('the socket is 0660 with the store file\'s group, next to the store', { skip: !IS_ROOT && 'needs root (chown)' }, () => {
  const st = lstatSync(server.path);
  assert.ok(st.isSocket());
  assert.equal(server.path, `${dbPath}.sock`);
  assert.deepEqual([st.uid, st.gid, st.mode & 0o777], [0, 65534, 0o660]);
});

test('a valid rule is stored by the collector and the write is announced (the collector re-plans at once)', async () => {
  const before = writes;
  const r = await callCollector('rules.create', { app: 'nginx.service', direction: 'in', action: 'allow', protocol: 'tcp', localPort: '443', remote: '10.10.0.0/16' });
  assert.ok(r.ok, JSON.stringify(r));
  const rows = getRules(db);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].id, r.value.id);
  assert.equal(rows[0].remote, '10.10.0.0/16');
  assert.equal(writes, before + 1);
  const p = await callCollector('apps.policy.save', { app: 'nginx.service', defaultIn: 'drop', quotaBytes: '2GiB' });
  assert.ok(p.ok);
  assert.equal(getFwApps(db).find((a) => a.appKey === 'nginx.service')?.quotaBytes, 2 * 1024 ** 3);
});

test('the collector re-validates: a rule the dashboard would refuse is refused here too, with field errors, and nothing is stored', async () => {
  const before = getRules(db).length;
  const bad = [
    { app: 'nginx.service', direction: 'in', action: 'allow', localPort: '80; flush ruleset' },
    { app: '"; drop table rules; --', direction: 'in', action: 'allow' },
    { app: 'nginx.service', direction: 'sideways', action: 'allow' },
    { app: 'nginx.service', direction: 'in', action: 'allow', remote: '10.10.0.0/33' },
    { app: 'nginx.service', direction: 'in', action: 'allow', extra: 1 },
  ];
  for (const payload of bad) {
    const r = await send(encodeRequest('rules.create', payload as never));
    assert.equal(r.ok, false, JSON.stringify(payload));
    assert.equal(r.status, 400);
    assert.ok(Object.keys(r.fields ?? {}).length > 0, `field errors for ${JSON.stringify(payload)}`);
  }
  const net = await send(encodeRequest('networks.settings.save', { id: 1, meteredUser: true, cycleStartDay: 31, planBytes: null }));
  assert.equal(net.status, 400);
  assert.match(net.message ?? '', /up to 28/);
  assert.equal(getRules(db).length, before, 'nothing was stored');
});

test('malformed, unknown, oversized and wrong-version requests get an answer with a reason, never a write', async () => {
  const before = writes;
  const cases: Array<[string, number, RegExp]> = [
    ['not json\n', 400, /not JSON/],
    ['{"v":1,"op":"db.exec","payload":"DROP TABLE rules"}\n', 400, /Not a request/],
    ['{"v":2,"op":"rules.delete","payload":{"id":1}}\n', 400, /version 1/],
    ['{"v":1,"op":"rules.delete","payload":{"id":-1}}\n', 400, /./],
    ['{"v":1,"op":"rules.delete","payload":{"id":1},"sql":"x"}\n', 400, /Not a request/],
    [`${'x'.repeat(CHANNEL_MAX_BYTES + 10)}\n`, 413, /at most/],
  ];
  for (const [text, status, why] of cases) {
    const r = await send(text);
    assert.equal(r.ok, false, text.slice(0, 60));
    assert.equal(r.status, status, text.slice(0, 60));
    assert.match(r.message ?? '', why);
  }
  const gone = await callCollector('rules.delete', { id: 999 });
  assert.deepEqual(gone.ok ? null : [gone.status, gone.message], [404, 'There is no rule 999.']);
  assert.equal(writes, before, 'no write happened');
});

test('a second collector on the same store refuses to take the socket over; a stale socket is replaced', async () => {
  await assert.rejects(startChannelServer({ path: server.path, dbPath, handlers: channelHandlers(db) }), /another collector already serves this store/);
  const other = join(tmp.dir, 'other.db');
  closeStore(openDb(other, { migrate: true }));
  const first = await startChannelServer({ path: controlSocketPath(other), dbPath: other, handlers: channelHandlers(db) });
  await first.close();
  const { createServer } = await import('node:net');
  const stale = createServer();
  await new Promise<void>((ok) => stale.listen(controlSocketPath(other), ok));
  await new Promise<void>((ok) => stale.close(() => ok()));
  const again = await startChannelServer({ path: controlSocketPath(other), dbPath: other, handlers: channelHandlers(db) });
  await again.close();
});

test('with the collector stopped the dashboard says so in a sentence and nothing is written', async () => {
  await server.close();
  const r = await callCollector('rules.create', { app: 'nginx.service', direction: 'out', action: 'drop' });
  assert.deepEqual(r.ok ? null : [r.status, r.message], [503, COLLECTOR_DOWN]);
  assert.match(COLLECTOR_DOWN, /collector is not running, so nothing was saved/);
  server = await startChannelServer({ path: controlSocketPath(dbPath), dbPath, handlers: channelHandlers(db) });
});
