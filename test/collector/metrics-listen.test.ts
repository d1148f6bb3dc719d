/** The headless listener's address handling: loopback unless told otherwise, clear errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_METRICS_PORT, parseListen, startMetricsServer } from '../../collector/metrics';

test('parseListen reads HOST:PORT, [IPv6]:PORT, :PORT and PORT; a missing host means 127.0.0.1', () => {
  assert.deepEqual(parseListen('127.0.0.1:9100'), { host: '127.0.0.1', port: 9100 });
  assert.deepEqual(parseListen('[::1]:9100'), { host: '::1', port: 9100 });
  assert.deepEqual(parseListen('localhost:9100'), { host: 'localhost', port: 9100 });
  assert.deepEqual(parseListen(':9100'), { host: '127.0.0.1', port: 9100 });
  assert.deepEqual(parseListen('9100'), { host: '127.0.0.1', port: 9100 });
  assert.deepEqual(parseListen('::1'), { host: '::1', port: DEFAULT_METRICS_PORT });
  for (const bad of ['127.0.0.1:99999', 'host name:1', '', '1.2.3.4:port']) assert.throws(() => parseListen(bad), /is not an address/, bad);
});

test('a non-loopback address is refused without exposeToNetwork, before anything is bound', async () => {
  for (const listen of ['0.0.0.0:0', '[::]:0', '192.0.2.1:9477']) {
    await assert.rejects(startMetricsServer({ db: '/nonexistent/appnet.db', listen }), /refusing to serve metrics on/);
  }
});

test('a store that cannot be opened answers 503 with the reason; other paths 404, other methods 405', async () => {
  const s = await startMetricsServer({ db: '/nonexistent/appnet.db', listen: '127.0.0.1:0' });
  try {
    const base = `http://127.0.0.1:${s.address.port}`;
    const r = await fetch(`${base}/metrics`);
    assert.equal(r.status, 503);
    assert.match(await r.text(), /cannot read its store: .*\/nonexistent\/appnet\.db/);
    assert.equal((await fetch(`${base}/`)).status, 404);
    assert.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);
  } finally {
    await s.close();
  }
});
