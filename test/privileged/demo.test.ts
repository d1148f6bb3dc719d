/**
 * `appnet demo --serve` as a user runs it: it adds no host account and writes nothing under
 * /etc (its dashboard's account and secret live beside its store, bound over /etc in the
 * dashboard's own mount namespace); its dashboard lists the apps' processes ("Processes now");
 * a finished package download's scope is gone, not "running"; and when it ends, its sandbox is
 * removed. Needs root and the production build (`next build`).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openDb } from '../../db/open';
import { freePort } from '../../harness/dashboard';
import { APPNET, sleep, tempDir } from './helpers';

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const ETC = ['/etc/passwd', '/etc/group', '/etc/shadow', '/etc/gshadow'].filter((p) => existsSync(p));

describe('appnet demo --serve', () => {
  let tmp: ReturnType<typeof tempDir>;
  let demo: ChildProcess;
  let out = '';
  let url = '';
  const token = randomBytes(32).toString('base64url');
  const before_ = new Map<string, string>();
  const hadEtcAppnet = existsSync('/etc/appnet');
  const db = () => join(tmp.dir, 'demo', 'appnet.db');
  const get = (path: string) => fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const query = <T,>(sql: string, ...params: unknown[]): T[] => {
    const d = openDb(db(), { readonly: true });
    try {
      return d.prepare(sql).all(...params) as T[];
    } finally {
      d.close();
    }
  };

  before(async () => {
    for (const p of ETC) before_.set(p, sha(p));
    tmp = tempDir();
    chmodSync(tmp.dir, 0o755); // as /tmp/appnet-demo, the demo's default: the dashboard's account must reach the store
    const port = await freePort();
    demo = spawn(process.execPath, [APPNET, 'demo', '--serve', '--db', db(), '--port', String(port)], {
      env: { ...process.env, APPNET_TOKEN: token, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    demo.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    demo.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    for (let i = 0; i < 600 && !/dashboard at (http:\/\/\S+)/.test(out); i++) await sleep(100);
    url = /dashboard at (http:\/\/[^\s/]+)/.exec(out)?.[1] ?? '';
    assert.ok(url, `the demo's dashboard did not start:\n${out}`);
  });

  after(async () => {
    if (demo.exitCode === null) {
      demo.kill('SIGTERM');
      await new Promise((r) => demo.once('exit', r));
    }
    tmp.remove();
  });

  test('no host account and nothing under /etc: the dashboard runs as the demo\'s own appnet', async () => {
    for (const [p, h] of before_) assert.equal(sha(p), h, `${p} is unchanged`);
    assert.equal(existsSync('/etc/appnet'), hadEtcAppnet, '/etc/appnet is not created');
    assert.doesNotMatch(readFileSync('/etc/passwd', 'utf8'), /^appnet:/m);
    assert.equal(statSync(join(tmp.dir, 'demo', 'secret')).mode & 0o777, 0o700, 'the secret\'s directory is beside the store, root only');
    const res = await get('/api/status');
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { demo: boolean }).demo, true, 'the dashboard knows it serves the demo');
  });

  test('"Processes now" lists the apps\' processes; a finished download\'s scope is gone, not running', async () => {
    for (let i = 0; i < 300 && query("SELECT 1 FROM cgroups WHERE path LIKE 'system.slice/run-u%' AND gone_at IS NOT NULL").length === 0; i++) await sleep(100);
    const [ff] = query<{ id: number }>("SELECT id FROM apps WHERE app_key = 'app:firefox'");
    assert.ok(ff, 'firefox is an app');
    const html = await (await get(`/apps/${ff.id}`)).text();
    assert.match(html, /data-testid="processes"[\s\S]*?<td>firefox<\/td>/, 'its process, by name');
    const runs = query<{ path: string; gone: number | null; app: string }>(
      "SELECT c.path, c.gone_at AS gone, a.app_key AS app FROM cgroups c JOIN apps a ON a.id = c.app_id WHERE c.path LIKE 'system.slice/run-u%' ORDER BY c.first_seen",
    );
    assert.ok(runs.some((r) => r.gone !== null), `a finished run's scope is gone: ${JSON.stringify(runs)}`);
    assert.deepEqual([...new Set(runs.map((r) => r.app))], ['exe:apt'], 'every download is the one app "apt (no own scope)"');
  });

  test('when the demo ends, everything it made is removed and /etc is still untouched', async () => {
    demo.kill('SIGTERM');
    await new Promise((r) => demo.once('exit', r));
    for (const [p, h] of before_) assert.equal(sha(p), h, `${p} is unchanged`);
    assert.equal(existsSync('/etc/appnet'), hadEtcAppnet);
    assert.doesNotMatch(readFileSync('/proc/self/mountinfo', 'utf8'), /\/etc\/passwd/, 'no bind mount over /etc/passwd is left in the host\'s namespace');
  });
});
