/**
 * `appnet run --app NAME -- COMMAND [ARG...]`: start a command in its own app cgroup
 * (appnet.slice/app-appnet-NAME-PID.scope, app key 'app:NAME' as lib/identity.ts reads
 * it) with the app's rules already in the kernel, so not even its first packet passes
 * unchecked. The cgroup is removed when the command ends.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadConfig } from '../config';
import { dbOption } from '../../lib/store-option';
import { nftRunner } from '../nft/exec';
import { Reconciler, type RulesetExtension } from '../reconcile';
import { readTree } from '../rules/watch';
import { requireNetAdmin } from '../privileges';
import { openDb } from '../../db/open';
import { appIdentity } from '../../lib/identity';

const CGEXEC = join(dirname(fileURLToPath(import.meta.url)), '..', 'cgexec.mjs');
export const RUN_SLICE = 'appnet.slice';

/** runScopePath is the cgroup `appnet run --app NAME` uses; null when NAME would not map back to app:NAME. */
export function runScopePath(name: string, pid: number): string | null {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/.test(name)) return null;
  const path = `${RUN_SLICE}/app-appnet-${name}-${pid}.scope`;
  return appIdentity(path).key === `app:${name}` ? path : null;
}

function removeWhenEmpty(dir: string): void {
  for (let i = 0; i < 50; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

async function run(opts: { app: string; db: string }, argv: string[]): Promise<number> {
  const { planFirewallFromDb, recordFirewallResult } = await import('../rules/plan');
  const cfg = loadConfig({ db: opts.db });
  const rel = runScopePath(opts.app, process.pid);
  if (!rel) throw new Error(`--app '${opts.app}' must be a plain app name (letters, digits, . _ + -), e.g. firefox`);
  const dir = join(cfg.cgroupRoot, rel);
  mkdirSync(dir, { recursive: true });
  try {
    const db = openDb(cfg.dbPath, { migrate: true });
    try {
      // The firewall alone (the collector keeps the counting part): one batch through the reconciler.
      const firewall: RulesetExtension = {
        commands: () => planFirewallFromDb(db, readTree(cfg.cgroupRoot), { cgroupRoot: cfg.cgroupRoot }),
        applied: (ok, error) => recordFirewallResult(db, ok, error),
        fingerprint: () => 'run',
        observe: () => undefined,
      };
      const reconciler = new Reconciler(nftRunner({ bin: cfg.nftBin }), { extension: firewall, log: () => undefined });
      const r = await reconciler.ensure({ accounting: [], accountingKey: 'run', live: [], ifaces: [] }, { force: true });
      if (r.extensionError !== null) throw new Error(`the rules of app:${opts.app} could not be applied, so the command was not started: ${r.extensionError}`);
    } finally {
      db.close();
    }
  } catch (err) {
    removeWhenEmpty(dir);
    throw err;
  }
  const child = spawn(process.execPath, [CGEXEC, join(dir, 'cgroup.procs'), ...argv], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
  const code = await new Promise<number>((resolve) => {
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 128 + 15 : 1)));
    child.on('error', () => resolve(127));
  });
  if (existsSync(dir)) removeWhenEmpty(dir);
  return code;
}

/** registerRun adds `appnet run --app NAME -- COMMAND`. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a command as app NAME in its own cgroup, with its firewall rules in place before it starts')
    .requiredOption('--app <name>', "app name; its rules are those of 'app:NAME'")
    .addOption(dbOption())
    .argument('<command...>', 'the command and its arguments (after --)')
    .action(async (argv: string[], opts: { app: string; db: string }) => {
      requireNetAdmin();
      process.exitCode = await run(opts, argv);
    });
}
