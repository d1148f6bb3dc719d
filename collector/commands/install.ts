/**
 * `appnet install [--prefix /] [--dry-run]`: puts the hardened systemd units in place for
 * this checkout and this node, creates the unprivileged account `appnet`, prepares the
 * store so the dashboard may read it and only the collector write it (directory root:appnet
 * 0750, database root:appnet 0640), writes NFTSet= drop-ins where systemd supports them, and enables the services
 * when systemd runs. --prefix installs into another root (an image, or a test directory).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { openDb } from '../../db/open';
import { closeStore } from '../../db/store-file';
import { prepareStoreDir, shareStore } from '../webuser';
import { runNftSet } from './nftset';
import { DEFAULT_DB } from '../../lib/store-path';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const UNITS = ['appnet-collector.service', 'appnet-dashboard.service'] as const;
export const ACCOUNT = 'appnet';

export interface InstallOptions {
  prefix?: string;
  dryRun?: boolean;
  enable?: boolean;
  /** The node binary the units run (default: this one). */
  node?: string;
  /** The appnet checkout the units run (default: this one). */
  appDir?: string;
}

/** renderUnit points a packaged unit at the actual node binary and appnet directory. */
export function renderUnit(text: string, paths: { node: string; appDir: string }): string {
  for (const p of [paths.node, paths.appDir]) {
    if (!/^\/[A-Za-z0-9_.@+\/-]*$/.test(p)) throw new Error(`cannot write '${p}' into a unit file: use a path of plain characters`);
  }
  return text.replaceAll('/usr/bin/node', paths.node).replaceAll('/opt/appnet', paths.appDir);
}

/** accountIds reads uid/gid of a user and a group from passwd/group files under prefix; null when missing. */
export function accountIds(prefix: string, name: string): { uid: number | null; gid: number | null } {
  const field = (file: string, idx: number): number | null => {
    try {
      const line = readFileSync(join(prefix, 'etc', file), 'utf8').split('\n').find((l) => l.split(':')[0] === name);
      return line ? Number(line.split(':')[idx]) : null;
    } catch {
      return null;
    }
  };
  return { uid: field('passwd', 2), gid: field('group', 2) };
}

interface Step {
  what: string;
  run: () => void;
}

function unitSteps(prefix: string, paths: { node: string; appDir: string }): Step[] {
  const dir = join(prefix, 'etc', 'systemd', 'system');
  return UNITS.map((u) => ({
    what: `write ${join(dir, u)}`,
    run: () => {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      writeFileSync(join(dir, u), renderUnit(readFileSync(join(ROOT, 'packaging', 'systemd', u), 'utf8'), paths), { mode: 0o644 });
    },
  }));
}

function accountStep(prefix: string): Step[] {
  if (accountIds(prefix, ACCOUNT).uid !== null) return [];
  const args = ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', '--comment', 'appnet dashboard', ACCOUNT];
  const argv = prefix === '/' ? args : ['--prefix', prefix, ...args];
  return [{ what: `useradd ${argv.join(' ')}`, run: () => execFileSync('useradd', argv, { stdio: 'inherit', timeout: 30_000 }) }];
}

/** The store is the meeting point: the collector (root) writes it, the dashboard (appnet) only reads it. */
function storeSteps(prefix: string): Step[] {
  const db = join(prefix, DEFAULT_DB);
  const dir = dirname(db);
  return [
    {
      what: `create ${dir} (root:${ACCOUNT} 0750) and ${db} (root:${ACCOUNT} 0640, migrated)`,
      run: () => {
        const gid = accountIds(prefix, ACCOUNT).gid;
        if (gid === null) throw new Error(`group ${ACCOUNT} is missing under ${prefix}/etc/group`);
        prepareStoreDir(dir, gid);
        shareStore(db, gid);
        closeStore(openDb(db, { migrate: true }));
        shareStore(db, gid);
      },
    },
  ];
}

function systemdRunning(prefix: string): boolean {
  return prefix === '/' && existsSync('/run/systemd/system');
}

/** planInstall lists every step in order; nothing has happened yet. */
export function planInstall(opts: InstallOptions): Step[] {
  const prefix = resolve(opts.prefix ?? '/');
  const paths = { node: opts.node ?? process.execPath, appDir: opts.appDir ?? ROOT };
  const steps = [...unitSteps(prefix, paths), ...accountStep(prefix), ...storeSteps(prefix)];
  steps.push({
    what: `write NFTSet= drop-ins for services with firewall rules (systemd >= 255) in ${join(prefix, 'etc/systemd/system')}`,
    run: () => void runNftSet({ db: join(prefix, DEFAULT_DB), dir: join(prefix, 'etc/systemd/system'), force: prefix !== '/' }),
  });
  if (systemdRunning(prefix) && opts.enable !== false) {
    steps.push({ what: 'systemctl daemon-reload', run: () => execFileSync('systemctl', ['daemon-reload'], { stdio: 'inherit', timeout: 30_000 }) });
    steps.push({ what: `systemctl enable --now ${UNITS.join(' ')}`, run: () => execFileSync('systemctl', ['enable', '--now', ...UNITS], { stdio: 'inherit', timeout: 60_000 }) });
  }
  return steps;
}

/** runInstall performs (or with dryRun only prints) the install; returns the step descriptions. */
export function runInstall(opts: InstallOptions, log: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): string[] {
  const prefix = resolve(opts.prefix ?? '/');
  if (!opts.dryRun && process.getuid?.() !== 0) throw new Error('appnet install needs root (it writes unit files, creates an account and the store): run it with sudo, or try --dry-run');
  const steps = planInstall(opts);
  for (const s of steps) {
    log(`${opts.dryRun ? 'would ' : ''}${s.what}`);
    if (opts.dryRun) continue;
    try {
      s.run();
    } catch (err) {
      throw new Error(`install step failed (${s.what}): ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (!systemdRunning(prefix)) {
    log(prefix === '/' ? 'systemd is not running here: start the services with your init system, or later with: systemctl enable --now appnet-collector.service appnet-dashboard.service' : `installed under ${prefix}; enable the units on the target with: systemctl enable ${UNITS.join(' ')}`);
  }
  log('dashboard login: runuser -u appnet -- appnet login-url --secret-dir /var/lib/appnet-web; scrape token: /var/lib/appnet-web/web-secret (see docs/prometheus.md)');
  return steps.map((s) => s.what);
}

/** registerInstall adds `appnet install`. */
export function registerInstall(program: Command): void {
  program
    .command('install')
    .description('install and enable the systemd services (collector with CAP_NET_ADMIN only, dashboard as the appnet account)')
    .option('--prefix <dir>', 'root directory to install into', '/')
    .option('--dry-run', 'print what would be done, do nothing')
    .option('--no-enable', 'do not enable or start the services')
    .action((o: InstallOptions) => {
      runInstall(o);
    });
}
