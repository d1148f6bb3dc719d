/**
 * `appnet nftset`: writes (and removes) the NFTSet= drop-ins of system services that have
 * firewall rules, so systemd ≥ 255 puts each new cgroup of the service into appnet's set
 * before the service runs. With an older systemd, or none, it says so and writes nothing:
 * the collector's cgroup watcher keeps the rules bound on its own.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { dbOption } from '../../lib/store-option';
import { hasTable, openDb } from '../../db/open';
import { getFwApps } from '../../db/queries/rules';
import { DROPIN_NAME, NFTSET_MIN_SYSTEMD, nftSetDropIn, systemUnitOfAppKey } from '../../lib/nft/nftset';
import { systemdVersion } from '../systemd';

export interface DropInPlan {
  write: Array<{ path: string; text: string }>;
  remove: string[];
}

/** planDropIns lists the drop-ins wanted for (app id, app key) pairs under dir, and ours that are stale. */
export function planDropIns(dir: string, apps: ReadonlyArray<{ id: number; appKey: string }>): DropInPlan {
  const write: DropInPlan['write'] = [];
  for (const a of apps) {
    const unit = systemUnitOfAppKey(a.appKey);
    if (unit) write.push({ path: join(dir, `${unit}.d`, DROPIN_NAME), text: nftSetDropIn(unit, a.id) });
  }
  const wanted = new Set(write.map((w) => w.path));
  const remove: string[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    entries = [];
  }
  for (const d of entries) {
    const p = join(dir, d, DROPIN_NAME);
    if (d.endsWith('.d') && !wanted.has(p) && existsSync(p)) remove.push(p);
  }
  const changed = write.filter((w) => {
    try {
      return readFileSync(w.path, 'utf8') !== w.text;
    } catch {
      return true;
    }
  });
  return { write: changed, remove };
}

/** applyDropIns writes and removes files as planned; empty <unit>.d directories go too. */
export function applyDropIns(plan: DropInPlan): void {
  for (const w of plan.write) {
    mkdirSync(join(w.path, '..'), { recursive: true, mode: 0o755 });
    writeFileSync(w.path, w.text, { mode: 0o644 });
  }
  for (const p of plan.remove) {
    rmSync(p, { force: true });
    try {
      rmdirSync(join(p, '..'));
    } catch {
      /* other drop-ins live there */
    }
  }
}

/** firewallApps reads the apps that have firewall settings (fw_apps); [] for a store without them. */
function firewallApps(dbPath: string): Array<{ id: number; appKey: string }> {
  const db = openDb(dbPath, { readonly: true });
  try {
    return hasTable(db, 'fw_apps') ? getFwApps(db).map((a) => ({ id: a.id, appKey: a.app })) : [];
  } finally {
    db.close();
  }
}

export interface NftSetOptions {
  db: string;
  dir?: string;
  dryRun?: boolean;
  force?: boolean;
}

/** runNftSet plans and (unless dry-run) applies the drop-ins; returns the lines it printed. */
export function runNftSet(opts: NftSetOptions, log: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): DropInPlan | null {
  const dir = opts.dir ?? '/etc/systemd/system';
  const version = systemdVersion();
  if (!opts.force && (version === null || version < NFTSET_MIN_SYSTEMD)) {
    log(`appnet: systemd ${version ?? 'is not running'}${version !== null ? ` is older than ${NFTSET_MIN_SYSTEMD}` : ''}: no NFTSet= drop-ins; the collector re-binds restarted services itself`);
    return null;
  }
  const plan = planDropIns(dir, firewallApps(opts.db));
  for (const w of plan.write) log(`${opts.dryRun ? 'would write' : 'write'} ${w.path}`);
  for (const r of plan.remove) log(`${opts.dryRun ? 'would remove' : 'remove'} ${r}`);
  if (opts.dryRun) return plan;
  applyDropIns(plan);
  if ((plan.write.length || plan.remove.length) && version !== null && dir === '/etc/systemd/system') {
    execFileSync('systemctl', ['daemon-reload'], { stdio: 'inherit', timeout: 30_000 });
    log('appnet: systemd reloaded; each service joins its set at its next start');
  }
  return plan;
}

/** registerNftSet adds `appnet nftset`. */
export function registerNftSet(program: Command): void {
  program
    .command('nftset')
    .description(`write NFTSet= drop-ins (systemd >= ${NFTSET_MIN_SYSTEMD}) so services with firewall rules join appnet's sets before they start`)
    .addOption(dbOption())
    .option('--dir <dir>', 'systemd unit directory', '/etc/systemd/system')
    .option('--dry-run', 'print what would change, change nothing')
    .option('--force', 'write the drop-ins even if systemd is missing or older (e.g. for an image)')
    .action((o: NftSetOptions) => {
      runNftSet(o);
    });
}
