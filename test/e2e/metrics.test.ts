/**
 * The dashboard's /metrics (production build, `appnet serve`): the same text as the headless
 * listener, only with the scrape token (Authorization: Bearer), and valid for promtool.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { raw, ROOT, startDashboard, type Dashboard } from '../security/helpers';

describe('/metrics on the dashboard', () => {
  let d: Dashboard;
  before(async () => {
    d = await startDashboard();
  });
  after(async () => {
    await d?.stop();
  });

  test('without a token, with a wrong one, or from a foreign Host it is refused', async () => {
    assert.equal((await raw(d, { path: '/metrics' })).status, 401);
    assert.equal((await raw(d, { path: '/metrics', headers: { Authorization: 'Bearer not-the-token-0123456789abcdef0123' } })).status, 401);
    assert.equal((await raw(d, { path: '/metrics', headers: { Authorization: `Bearer ${d.token}`, Host: 'evil.example:80' } })).status, 403);
  });

  test('with the bearer token it serves the Prometheus text, identical to `appnet metrics`, and promtool accepts it', async () => {
    const r = await raw(d, { path: '/metrics', headers: { Authorization: `Bearer ${d.token}` } });
    assert.equal(r.status, 200, r.body.slice(0, 300));
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.match(r.body, /^appnet_app_bytes_total\{app="app:firefox",iface="wwan0",network="Mobile broadband",metered="true",direction="in"\} \d+$/m);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: r.body, encoding: 'utf8' });
    assert.equal(check.error, undefined, 'promtool (Debian package prometheus) must be installed');
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
    const cli = spawnSync(process.execPath, [join(ROOT, 'bin/appnet.mjs'), 'metrics', '--db', d.dbPath], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal(r.body, cli.stdout, 'the dashboard and the headless listener serve the same text');
  });
});
