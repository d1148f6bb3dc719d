/**
 * The production dashboard as users start it (`appnet serve`, after `next build`), with the
 * collector's control socket for its writes, for the browser tests and the page-load
 * benchmark alike, and store directories laid out as `appnet start` does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { channelHandlers } from '../collector/channel/handlers';
import { startChannelServer } from '../collector/channel/server';
import { shareStore } from '../collector/webuser';
import { openDb } from '../db/open';
import { closeStore } from '../db/store-file';
import { controlSocketPath } from '../lib/channel';
import { chooseWebUser, parsePasswd } from '../lib/security/passwd';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** freePort asks the kernel for an unused loopback TCP port. */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? ok(a.port) : fail(new Error('no port'))));
    });
  });
}

/** webGid is the group of the account the dashboard drops to when started as root (appnet, else nobody). */
export function webGid(): number {
  return chooseWebUser(parsePasswd(readFileSync('/etc/passwd', 'utf8'))).gid;
}

/**
 * shareableDir makes a store directory laid out as `appnet start` does: root-owned, group of
 * the dashboard's account, mode 0750 (the dashboard may read the store, never change it).
 */
export function shareableDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  if (process.getuid?.() === 0) chownSync(d, 0, webGid());
  chmodSync(d, 0o750);
  return d;
}

/**
 * shareDb lets the dashboard's account read a seeded store (root:<its group> 0640) and hands
 * the store back to readers (closeStore), so it reads without -wal/-shm of its own.
 */
export function shareDb(path: string): void {
  closeStore(openDb(path));
  if (process.getuid?.() === 0) shareStore(path, webGid());
}

/**
 * serveWrites plays the collector's part for the dashboard's writes: the real control socket
 * (collector/channel) on the store, in this process. Null when there is no store yet or a
 * collector already serves it.
 */
export async function serveWrites(dbPath: string): Promise<{ close(): Promise<void> } | null> {
  if (!existsSync(dbPath)) return null;
  const db = openDb(dbPath, { migrate: true });
  try {
    const server = await startChannelServer({ path: controlSocketPath(dbPath), dbPath, handlers: channelHandlers(db) });
    return {
      async close() {
        await server.close();
        closeStore(db);
      },
    };
  } catch (err) {
    closeStore(db);
    if (err instanceof Error && /already serves/.test(err.message)) return null;
    throw err;
  }
}

export interface Dashboard {
  url: string;
  /** One-time login link printed by the server (open it once per browser profile). */
  loginUrl: string;
  /** Bearer token for API requests. */
  token: string;
  /** Everything the server printed, for failure messages. */
  output(): string;
  close(): Promise<void>;
}

/**
 * startDashboard runs `appnet serve --db <db>` on a free loopback port with a fresh token
 * (APPNET_TOKEN) and waits for it to print its login URL. Needs a production `next build`.
 */
export async function startDashboard(opts: { db: string; tz?: string; env?: Record<string, string> }): Promise<Dashboard> {
  if (!existsSync(join(ROOT, '.next', 'BUILD_ID'))) throw new Error('no production build: run `next build` first');
  const port = await freePort();
  const token = randomBytes(32).toString('base64url');
  const secretDir = mkdtempSync(join(tmpdir(), 'appnet-e2e-secret-'));
  const writes = await serveWrites(opts.db);
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'bin/appnet.mjs'), 'serve', '--db', opts.db, '--port', String(port), '--secret-dir', secretDir], {
    cwd: ROOT,
    env: { ...process.env, APPNET_TOKEN: token, NODE_ENV: 'production', ...(opts.tz ? { TZ: opts.tz } : {}), ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const loginUrl = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`appnet serve did not start within 60 s:\n${out}`)), 60_000);
    const check = () => {
      const m = /dashboard at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`appnet serve exited with ${code}:\n${out}`));
    });
  }).catch(async (err: unknown) => {
    await writes?.close();
    throw err;
  });
  const close = async () => {
    if (child.exitCode === null && child.pid) {
      const gone = new Promise<void>((ok) => child.once('exit', () => ok()));
      process.kill(child.pid, 'SIGTERM');
      await Promise.race([gone, new Promise((ok) => setTimeout(ok, 5000))]);
      if (child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    }
    await writes?.close();
    rmSync(secretDir, { recursive: true, force: true });
  };
  return { url: `http://127.0.0.1:${port}`, loginUrl, token, output: () => out, close };
}
