/**
 * Loopback-only by default: a non-loopback --host without the explicit flag is refused before
 * any socket is opened; with the flag (inside a sandbox network namespace, never the host's)
 * the server warns, drops root, and still enforces the Host allowlist and the token.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { withSandbox } from '../../collector/sandbox/sandbox';
import { IS_ROOT, ROOT, freePort, prepareStore, runCli } from './helpers';

function listening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((ok) => {
    const s = connect({ port, host });
    s.once('connect', () => (s.destroy(), ok(true)));
    s.once('error', () => ok(false));
  });
}

test('a non-loopback --host without --expose-to-network is refused with a clear error', async () => {
  for (const host of ['0.0.0.0', '::', '10.1.2.3', '192.168.1.5', 'fd00::1', 'example.com', '127.0.0.1.example.com']) {
    const port = await freePort();
    const r = await runCli(['serve', '--host', host, '--port', String(port), '--db', '/nonexistent/appnet.db', '--secret-dir', '/nonexistent']);
    assert.notEqual(r.code, 0, `--host ${host} must not start`);
    assert.match(r.stderr, new RegExp(`refusing to listen on ${host.replace(/[.]/g, '\\.')}.*--expose-to-network`));
    assert.doesNotMatch(r.stdout, /dashboard at/);
    assert.equal(await listening(port), false);
  }
});

test('loopback addresses need no flag', async () => {
  const { loadServeConfig } = await import('../../server/config');
  for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost']) assert.equal(loadServeConfig({ host }).exposed, false, host);
});

test('with --expose-to-network it warns, listens there, and still checks Host and token', { skip: !IS_ROOT && 'needs root for the sandbox' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'appnet-sec-bind-'));
  try {
    const db = prepareStore(dir);
    const token = randomBytes(32).toString('base64url');
    await withSandbox(async (s) => {
      const link = await s.addLink({ name: 'eth9', subnet: 41 });
      const port = 7171;
      const serve = await s.spawn(
        [process.execPath, join(ROOT, 'bin/appnet.mjs'), 'serve', '--db', db, '--host', link.v4, '--port', String(port), '--expose-to-network', '--allow-host', link.v4],
        { env: { APPNET_TOKEN: token, NEXT_TELEMETRY_DISABLED: '1', PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeoutMs: 120_000 },
      );
      const base = `http://${link.v4}:${port}`;
      const curl = (args: string[]) => s.exec(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', ...args], { net: 'peer' });
      let up = '';
      for (let i = 0; i < 60 && up !== '200'; i++) {
        up = (await curl(['-H', `Authorization: Bearer ${token}`, `${base}/api/status`])).stdout;
        if (up !== '200') await new Promise((r) => setTimeout(r, 500));
      }
      assert.equal(up, '200', 'reachable from the peer with the token and an allowed Host');
      assert.equal((await curl([`${base}/api/status`])).stdout, '401', 'no token: 401');
      assert.equal((await curl(['-H', 'Host: evil.example', '-H', `Authorization: Bearer ${token}`, `${base}/api/status`])).stdout, '403', 'forged Host: 403');
      s.kill(serve.pid);
      const out = await serve.done;
      assert.match(out.stderr, /WARNING: the dashboard listens on 10\.200\.41\.1, reachable from other machines/);
      assert.match(out.stdout, /dashboard running as \S+ \(uid [1-9]/);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
