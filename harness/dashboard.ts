/**
 * The production dashboard as users start it (`appnet serve`, after `next build`), for the
 * browser tests and the page-load benchmark alike, and the shared temp directories it can
 * still read after it drops root.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/**
 * shareableDir makes a temp directory the dashboard can use after it drops root to an
 * unprivileged account (it must read the DB and create its -wal/-shm files there).
 */
export function shareableDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(d, 0o777);
  return d;
}

/** shareDb makes a seeded store readable and writable by the dashboard's unprivileged account. */
export function shareDb(path: string): void {
  for (const p of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(p)) chmodSync(p, 0o666);
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
  const secretDir = shareableDir('appnet-e2e-secret-');
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
  });
  const close = async () => {
    if (child.exitCode === null && child.pid) {
      const gone = new Promise<void>((ok) => child.once('exit', () => ok()));
      process.kill(child.pid, 'SIGTERM');
      await Promise.race([gone, new Promise((ok) => setTimeout(ok, 5000))]);
      if (child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    }
    rmSync(secretDir, { recursive: true, force: true });
  };
  return { url: `http://127.0.0.1:${port}`, loginUrl, token, output: () => out, close };
}
