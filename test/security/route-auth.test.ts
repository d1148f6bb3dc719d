/**
 * Defence in depth: every route handler, page and server action of the production build
 * checks authorisation itself. With the server's gate removed (Next.js alone, no gate
 * registered), every API answers 401 (or 405 for a method it does not have), every page
 * redirects to /login, and a server action changes nothing.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openDb } from '../../db/open';
import { seedDb } from '../fixtures/seed';
import { ROOT, freePort, login, raw, startDashboard } from './helpers';

let child: ChildProcess;
let port: number;
let dir: string;
let dbPath: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'appnet-ungated-'));
  dbPath = join(dir, 'appnet.db');
  seedDb(dbPath, { now: Math.floor(Date.now() / 1000), days: 1 });
  port = await freePort();
  child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/security/ungated-server.ts'), String(port), dbPath], { cwd: ROOT, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr!.on('data', (b: Buffer) => (out += b));
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`ungated server did not start:\n${out}`)), 60_000);
    child.stdout!.on('data', (b: Buffer) => {
      out += b;
      if (out.includes(`listening ${port}`)) (clearTimeout(timer), ok());
    });
    child.once('exit', (code) => fail(new Error(`ungated server exited with ${code}:\n${out}`)));
  });
});
after(async () => {
  if (child && child.exitCode === null) {
    const gone = new Promise((ok) => child.once('exit', ok));
    child.kill('SIGTERM');
    await gone;
  }
  rmSync(dir, { recursive: true, force: true });
});

function builtRoutes(): string[] {
  const manifest = JSON.parse(readFileSync(join(ROOT, '.next/app-path-routes-manifest.json'), 'utf8')) as Record<string, string>;
  return Object.entries(manifest)
    .filter(([, route]) => !route.startsWith('/_'))
    .map(([file, route]) => `${file.endsWith('/route') ? 'api' : 'page'} ${route.replace(/\[[^\]]+\]/g, '1')}`);
}

test('with the server gate removed, every API route answers 401 (or 405) to every method', async () => {
  const apis = builtRoutes().filter((r) => r.startsWith('api ')).map((r) => r.slice(4));
  assert.ok(apis.length >= 5, `routes found: ${apis.join(' ')}`);
  const host = `127.0.0.1:${port}`;
  for (const path of apis) {
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      const variants: Array<Record<string, string>> = [{}, { Authorization: 'Bearer guess' }, { 'x-middleware-subrequest': 'middleware:middleware:middleware:middleware:middleware' }];
      for (const headers of variants) {
        const r = await raw({ port }, { method, path, headers: { Host: host, Origin: `http://${host}`, 'Content-Type': 'application/json', ...headers }, body: method === 'GET' ? undefined : '{"app":"*","direction":"out","action":"drop"}' });
        assert.ok(r.status === 401 || r.status === 405, `${method} ${path} ${JSON.stringify(headers)} answered ${r.status}: ${r.body.slice(0, 120)}`);
      }
    }
  }
});

test('with the server gate removed, every page redirects to /login and shows no data', async () => {
  const pages = builtRoutes().filter((r) => r.startsWith('page ')).map((r) => r.slice(5));
  assert.ok(pages.length >= 4, `pages found: ${pages.join(' ')}`);
  for (const path of [...pages, '/no-such-page']) {
    const r = await raw({ port }, { path, headers: { Host: `127.0.0.1:${port}` } });
    const redirected = (r.status === 307 || r.status === 303) && r.headers.location === '/login';
    const metaRedirect = r.status === 200 && /http-equiv="refresh" content="[^"]*url=\/login"/i.test(r.body);
    assert.ok(redirected || metaRedirect, `${path} answered ${r.status} ${String(r.headers.location)}`);
    assert.doesNotMatch(r.body, /firefox|syncthing|HomeNet/i, `${path} leaks no data`);
  }
});

/** actionBody encodes (prevState, formData) the way React's client does for a server action call. */
async function actionBody(fields: Record<string, string>): Promise<FormData> {
  const rsdClient = createRequire(import.meta.url)(join(ROOT, 'node_modules/next/dist/compiled/react-server-dom-turbopack/client.node.js')) as {
    encodeReply(args: unknown[]): Promise<FormData | string>;
  };
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  const body = await rsdClient.encodeReply([{ ok: false, message: null, fields: {} }, form]);
  assert.ok(body instanceof FormData);
  return body;
}

function actionIds(): string[] {
  const manifest = JSON.parse(readFileSync(join(ROOT, '.next/server/server-reference-manifest.json'), 'utf8')) as { node: Record<string, unknown> };
  return Object.keys(manifest.node);
}

function networkRow(path: string, id: number): Record<string, unknown> {
  const db = openDb(path, { readonly: true });
  try {
    return db.prepare('SELECT metered_user, cycle_start_day, plan_bytes FROM networks WHERE id = ?').get(id) as Record<string, unknown>;
  } finally {
    db.close();
  }
}

const CHANGE = { id: '1', metered: 'yes', cycleStartDay: '9', planGiB: '5' };
const CHANGED = { metered_user: 1, cycle_start_day: 9, plan_bytes: 5 * 1024 ** 3 };

test('control: behind the gate, the same encoded server action call with a session saves the change', async () => {
  const d = await startDashboard();
  try {
    const cookie = await login(d);
    assert.notDeepEqual(networkRow(d.dbPath, 1), CHANGED);
    for (const id of actionIds()) {
      await fetch(`${d.base}/networks`, { method: 'POST', body: await actionBody(CHANGE), headers: { 'Next-Action': id, Accept: 'text/x-component', Cookie: cookie, Origin: d.base }, redirect: 'manual' });
    }
    assert.deepEqual(networkRow(d.dbPath, 1), CHANGED);
  } finally {
    await d.stop();
  }
});

test('with the server gate removed, the server action call changes nothing and redirects to /login', async (t) => {
  const before = networkRow(dbPath, 1);
  const ids = actionIds();
  assert.ok(ids.length > 0, 'the build has server actions');
  const answers: string[] = [];
  for (const id of ids) {
    const res = await fetch(`http://127.0.0.1:${port}/networks`, { method: 'POST', body: await actionBody(CHANGE), headers: { 'Next-Action': id, Accept: 'text/x-component', Origin: `http://127.0.0.1:${port}` }, redirect: 'manual' });
    await res.text();
    answers.push(`${res.status} ${res.headers.get('x-action-redirect') ?? res.headers.get('location') ?? ''}`);
  }
  t.diagnostic(`action answers: ${answers.join(', ')}`);
  for (const a of answers) assert.match(a, /\/login/, 'the action redirected to /login');
  assert.deepEqual(networkRow(dbPath, 1), before, 'nothing changed in the store');
});
