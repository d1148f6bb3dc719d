/**
 * A real `appnet serve` (bin/appnet.mjs, the production Next.js build) on a free loopback
 * port, with a seeded store laid out the way `appnet start` lays it out for the web account
 * (directory root:<its group> 0750, database 0640: it reads, never writes) and the
 * collector's control socket for the dashboard's writes. A fake `nft` first in PATH records
 * any invocation by the web process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, serveWrites, shareDb, webGid } from '../e2e/helpers';
import { seedDb } from '../fixtures/seed';

export const ROOT = resolve(import.meta.dirname, '../..');
export const IS_ROOT = process.getuid?.() === 0;

export interface Dashboard {
  base: string;
  port: number;
  loginUrl: string;
  pid: number;
  token: string;
  dbPath: string;
  dir: string;
  nftLog: string;
  stdout: () => string;
  stderr: () => string;
  stop(): Promise<void>;
}

export { freePort };

/** prepareStore seeds a store and lets the web account's group read it (what `appnet start` does as root). */
export function prepareStore(dir: string): string {
  const dbDir = join(dir, 'state');
  mkdirSync(dbDir, { recursive: true, mode: 0o750 });
  if (IS_ROOT) chownSync(dbDir, 0, webGid());
  const dbPath = join(dbDir, 'appnet.db');
  seedDb(dbPath, { now: Math.floor(Date.now() / 1000), days: 1 });
  shareDb(dbPath);
  return dbPath;
}

/** runCli runs bin/appnet.mjs with args to completion (for commands that should refuse to start). */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/appnet.mjs'), ...args], { cwd: ROOT, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      ok({ code, stdout, stderr });
    });
  });
}

/** startDashboard starts `appnet serve` and waits for its login line. */
export async function startDashboard(opts: { extraArgs?: string[]; env?: Record<string, string> } = {}): Promise<Dashboard> {
  const dir = mkdtempSync(join(tmpdir(), 'appnet-sec-'));
  chmodSync(dir, 0o755);
  const dbPath = prepareStore(dir);
  const fakeBin = join(dir, 'bin');
  const nftLog = join(dir, 'nftlog', 'calls');
  mkdirSync(fakeBin, { mode: 0o755 });
  mkdirSync(join(dir, 'nftlog'), { mode: 0o777 });
  chmodSync(join(dir, 'nftlog'), 0o777);
  writeFileSync(join(fakeBin, 'nft'), `#!/bin/sh\necho "$(id -u) $*" >> ${nftLog}\nexit 1\n`, { mode: 0o755 });
  const port = await freePort();
  const secretDir = join(dir, 'secret');
  const writes = await serveWrites(dbPath);
  const child: ChildProcess = spawn(
    process.execPath,
    [join(ROOT, 'bin/appnet.mjs'), 'serve', '--db', dbPath, '--port', String(port), '--secret-dir', secretDir, ...(opts.extraArgs ?? [])],
    { cwd: ROOT, env: { ...process.env, PATH: `${fakeBin}:${process.env.PATH ?? ''}`, NEXT_TELEMETRY_DISABLED: '1', APPNET_TOKEN: '', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const started = new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`appnet serve did not start in 60 s:\n${stdout}\n${stderr}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d;
      const m = /^appnet: dashboard at (http:\/\/\S+)$/m.exec(stdout);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    child.once('exit', (code) => fail(new Error(`appnet serve exited with ${code}:\n${stdout}\n${stderr}`)));
  });
  const loginUrl = await started.catch(async (err: unknown) => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await writes?.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  const token = opts.env?.APPNET_TOKEN || readFileSync(join(secretDir, 'web-secret'), 'utf8').trim();
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    loginUrl,
    pid: child.pid!,
    token,
    dbPath,
    dir,
    nftLog,
    stdout: () => stdout,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((ok) => child.once('exit', ok));
        child.kill('SIGTERM');
        await exited;
      }
      await writes?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** login redeems the one-time URL and returns the session cookie pair `name=value`. */
export async function login(d: Dashboard, url = d.loginUrl): Promise<string> {
  const res = await fetch(url, { redirect: 'manual' });
  if (res.status !== 303) throw new Error(`login answered ${res.status}`);
  const set = res.headers.get('set-cookie') ?? '';
  return set.split(';')[0];
}

/** nftCalls returns what the fake nft recorded (empty when it was never run). */
export function nftCalls(d: Dashboard): string {
  try {
    return readFileSync(d.nftLog, 'utf8');
  } catch {
    return '';
  }
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** raw sends one HTTP/1.1 request with exactly the headers given (Host included), no client-side rewriting. */
export function raw(d: Pick<Dashboard, 'port'>, opts: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<RawResponse> {
  return new Promise((ok, fail) => {
    const r = httpRequest(
      { host: '127.0.0.1', port: d.port, method: opts.method ?? 'GET', path: opts.path, headers: { Host: `127.0.0.1:${d.port}`, ...(opts.body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(opts.body)) }), ...opts.headers }, setHost: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    r.on('error', fail);
    if (opts.body !== undefined) r.write(opts.body);
    r.end();
  });
}
