/**
 * The web account against root, for real: `appnet start` in a sandbox that has an `appnet`
 * account (only there), the dashboard running as that account, and the account trying to
 * make root open, create, chown or chmod a file of its choice through the store. A canary
 * file only root may read must come out of every attempt untouched.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createSandbox, type Running, type Sandbox } from '../../collector/sandbox/sandbox';
import { prepareStoreDir, shareStore } from '../../collector/webuser';
import { APPNET, tempDir, waitForPoll } from './helpers';
import { addWebAccount, asWebAccount, type WebAccount } from './web-account';

const TOKEN = randomBytes(32).toString('base64url');

describe('the web account cannot reach root through the store', { timeout: 300_000 }, () => {
  let s: Sandbox;
  let tmp: ReturnType<typeof tempDir>;
  let acct: WebAccount;
  let store: string;
  let db: string;
  let canary: string;
  let port = 7300;

  const env = () => ({ APPNET_SECRET_DIR: join(tmp.dir, 'secret'), APPNET_TOKEN: TOKEN, NEXT_TELEMETRY_DISABLED: '1' });

  /** curl inside the sandbox (its own network namespace), with the bearer token. */
  async function api(path: string, opts: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: string }> {
    const args = ['curl', '-s', '-m', '20', '-w', '\n%{http_code}', '-H', `Authorization: Bearer ${TOKEN}`];
    if (opts.method) args.push('-X', opts.method);
    if (opts.body !== undefined) args.push('-H', 'Content-Type: application/json', '--data-binary', JSON.stringify(opts.body));
    const r = await s.exec([...args, `http://127.0.0.1:${port}${path}`], { timeoutMs: 30_000 });
    const i = r.stdout.lastIndexOf('\n');
    return { status: Number(r.stdout.slice(i + 1)), body: r.stdout.slice(0, i) };
  }

  async function waitForDashboard(proc: Running): Promise<void> {
    let exited = false;
    void proc.done.then(() => (exited = true));
    for (let i = 0; i < 600 && !exited; i++) {
      if ((await api('/api/status')).status === 200) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    const r = await proc.done;
    throw new Error(`the dashboard did not come up (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }

  async function appnetStart(): Promise<Running> {
    port++;
    return s.spawn([process.execPath, APPNET, 'start', '--db', db, '--port', String(port), '--interval', '1'], { env: env() });
  }

  async function stop(proc: Running): Promise<string> {
    s.kill(proc.pid, 'SIGTERM');
    const r = await proc.done;
    return `${r.stdout}${r.stderr}`;
  }

  function canaryUntouched(): void {
    const st = lstatSync(canary);
    assert.equal(st.uid, 0, 'the canary still belongs to root');
    assert.equal(st.gid, 0, 'the canary is still group root');
    assert.equal(st.mode & 0o7777, 0o600, 'the canary is still mode 600');
    assert.equal(readFileSync(canary, 'utf8'), '', 'nothing was written into the canary');
  }

  before(async () => {
    tmp = tempDir();
    chmodSync(tmp.dir, 0o755);
    s = await createSandbox();
    acct = await addWebAccount(s, tmp.dir);
    store = join(tmp.dir, 'var', 'lib', 'appnet');
    db = join(store, 'appnet.db');
    canary = join(tmp.dir, 'canary');
    // Empty, like /etc/ld.so.preload on most hosts: SQLite takes an empty file for a new database.
    writeFileSync(canary, '', { mode: 0o600 });
    mkdirSync(join(tmp.dir, 'secret'), { mode: 0o700 });
  });
  after(async () => {
    await s?.close();
    tmp?.remove();
  });

  test('the web account cannot swap the store for a link that root then opens, chowns and chmods', async () => {
    const first = await appnetStart();
    await waitForDashboard(first);
    await stop(first);
    // The attack of the review: replace the store with a link to a root-only file, then wait for root.
    const plant = await asWebAccount(s, acct, ['sh', '-c', `rm -f ${db}-wal ${db}-shm; rm -f ${db} && ln -s ${canary} ${db}`]);
    const again = await appnetStart();
    await Promise.race([waitForDashboard(again), again.done]);
    await stop(again);
    canaryUntouched();
    assert.notEqual(plant.code, 0, 'the web account cannot replace the store with a link');
    assert.ok(lstatSync(db).isFile(), 'the store is still a regular file');
  });

  test('appnet start lays out the store so the web account may read it but not write or replace anything in it', async () => {
    const proc = await appnetStart();
    await waitForDashboard(proc);
    assert.match((await api('/api/status')).body, /"db":"ok"/, 'the dashboard (as appnet) reads the store');
    const dir = lstatSync(store);
    assert.equal(dir.uid, 0);
    assert.equal(dir.gid, acct.gid, 'the store directory is group appnet, so the dashboard can reach the file');
    assert.equal(dir.mode & 0o7777, 0o750, 'only root may create, rename or remove files in the store directory');
    for (const f of [db, `${db}-wal`, `${db}-shm`]) {
      const st = lstatSync(f);
      assert.ok(st.isFile(), f);
      assert.equal(st.uid, 0, `${f} belongs to root`);
      assert.equal(st.gid, acct.gid, `${f} is group appnet`);
      assert.equal(st.mode & 0o777, 0o640, `${f} is mode 640: the web account reads, never writes`);
    }
    const write = await asWebAccount(s, acct, ['sh', '-c', `echo x >> ${db}`]);
    assert.notEqual(write.code, 0, 'the web account cannot write the store file');
    const create = await asWebAccount(s, acct, ['sh', '-c', `: > ${store}/planted`]);
    assert.notEqual(create.code, 0, 'the web account cannot create files in the store directory');
    await stop(proc);
    canaryUntouched();
  });

  test('the dashboard, as appnet, reads the store whether the collector runs, stopped or crashed, and saves only through it', async () => {
    const serve = async () => {
      port++;
      const p = await s.spawn([process.execPath, APPNET, 'serve', '--db', db, '--port', String(port), '--user', 'appnet'], { env: env() });
      await waitForDashboard(p);
      return p;
    };
    const collect = () => s.spawn([process.execPath, APPNET, 'collect', '--db', db, '--interval', '1'], { env: env() });
    const rules = async () => {
      const r = await api('/api/rules');
      assert.equal(r.status, 200, `the dashboard reads the store: ${r.body}`);
      return (JSON.parse(r.body) as { rules: Array<{ comment: string }> }).rules.map((x) => x.comment);
    };
    const addRule = (comment: string) => api('/api/rules', { method: 'POST', body: { app: 'nginx.service', direction: 'in', action: 'allow', protocol: 'tcp', localPort: '8080', comment } });

    // The layout appnet install gives the store (systemd then runs collect and serve apart).
    prepareStoreDir(store, acct.gid);
    shareStore(db, acct.gid);
    // The collector runs: the dashboard saves through its socket; the web account itself cannot write.
    let t0 = Date.now();
    let collector = await collect();
    await waitForPoll(db, t0);
    let web = await serve();
    const saved = await addRule('while running');
    assert.equal(saved.status, 201, saved.body);
    assert.deepEqual(await rules(), ['while running']);
    const direct = await asWebAccount(s, acct, ['sqlite3', db, "UPDATE rules SET comment = 'by hand'"]);
    assert.notEqual(direct.code, 0, 'the web account cannot write the store itself');
    assert.match(direct.stderr, /readonly|read-only|unable to open/i);

    // Stopped cleanly while the dashboard reads: reading goes on, saving says why it cannot.
    await stop(collector);
    assert.deepEqual(await rules(), ['while running']);
    const refused = await addRule('while stopped');
    assert.equal(refused.status, 503);
    assert.match(JSON.parse(refused.body).error, /collector is not running, so nothing was saved/);

    // Stopped cleanly with no reader: the store is handed back to readers (no -wal needed).
    await stop(web);
    t0 = Date.now();
    collector = await collect();
    await waitForPoll(db, t0);
    const log = await stop(collector);
    assert.equal((await s.exec(['test', '-e', `${db}-wal`])).code, 1, `no -wal left behind:\n${log}`);
    web = await serve();
    assert.deepEqual(await rules(), ['while running'], 'a fresh read-only connection reads the store without -wal/-shm');

    // Crashed: -wal and -shm stay behind (root's, read-only for appnet); a fresh dashboard still reads them.
    t0 = Date.now();
    collector = await collect();
    await waitForPoll(db, t0);
    const saved2 = await addRule('before the crash');
    assert.equal(saved2.status, 201, saved2.body);
    await stop(web);
    s.kill(collector.pid, 'SIGKILL');
    await collector.done;
    assert.equal((await s.exec(['test', '-e', `${db}-wal`])).code, 0, 'the crash left the -wal');
    web = await serve();
    assert.deepEqual((await rules()).sort(), ['before the crash', 'while running']);
    await stop(web);
    canaryUntouched();
  });

  test('a link planted in the store (by an older layout) is refused by root, and the canary stays as it was', async () => {
    for (const f of [`${db}-wal`, `${db}-shm`, `${db}-journal`]) rmSync(f, { force: true });
    unlinkSync(db);
    symlinkSync(canary, db);
    const proc = await appnetStart();
    const r = await proc.done;
    assert.notEqual(r.code, 0, 'appnet start stops');
    assert.match(`${r.stdout}${r.stderr}`, /appnet\.db is a symbolic link/);
    canaryUntouched();
    unlinkSync(db);
  });
});
