/**
 * `appnet install` into a scratch root: the unit files it writes pass `systemd-analyze
 * verify` and score as hardened in `systemd-analyze security --offline`, the account and
 * the store are laid out for both services, --dry-run changes nothing, and NFTSet=
 * drop-ins follow the firewall's apps. Needs root (chown, useradd --prefix) and the
 * Debian package systemd (systemd-analyze runs offline; no running systemd needed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ACCOUNT, accountIds, runInstall, UNITS } from '../../collector/commands/install';
import { runNftSet } from '../../collector/commands/nftset';
import { latestSchemaVersion, openDb, schemaVersion } from '../../db/open';
import { ensureFwApp } from '../../db/queries/rules';
import { DROPIN_NAME, NFTSET_MIN_SYSTEMD, parseSystemdVersion } from '../../lib/nft/nftset';

const ROOT = resolve(import.meta.dirname, '..', '..');
const IS_ROOT = process.getuid?.() === 0;

function scratchRoot(): string {
  const prefix = mkdtempSync(join(tmpdir(), 'appnet-install-'));
  mkdirSync(join(prefix, 'etc'));
  // The shadow files are for useradd, which only the root-only test runs (others cannot read them).
  const files = IS_ROOT ? ['passwd', 'group', 'shadow', 'gshadow'] : ['passwd', 'group'];
  for (const f of files) if (existsSync(`/etc/${f}`)) copyFileSync(`/etc/${f}`, join(prefix, 'etc', f));
  return prefix;
}

function analyze(args: string[], cwd: string): { code: number | null; out: string } {
  const r = spawnSync('systemd-analyze', args, { cwd, encoding: 'utf8' });
  if (r.error) throw new Error(`systemd-analyze is not runnable (Debian package systemd): ${r.error.message}`);
  return { code: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

const quiet = () => undefined;

test('install writes units that pass systemd-analyze verify and are hardened; account and store fit both services', { skip: !IS_ROOT && 'needs root' }, () => {
  const prefix = scratchRoot();
  try {
    runInstall({ prefix }, quiet);
    const unitDir = join(prefix, 'etc/systemd/system');
    for (const u of UNITS) {
      const text = readFileSync(join(unitDir, u), 'utf8');
      assert.match(text, new RegExp(`^ExecStart=${process.execPath} ${ROOT}/bin/appnet.mjs `, 'm'), `${u} runs this node and this checkout`);
    }
    const verify = analyze(['verify', '--man=no', ...UNITS.map((u) => `./${u}`)], unitDir);
    assert.equal(verify.code, 0, verify.out);
    assert.equal(verify.out, '', `systemd-analyze verify has complaints:\n${verify.out}`);
    for (const [u, max] of [['appnet-collector.service', 3], ['appnet-dashboard.service', 2]] as const) {
      const sec = analyze(['security', '--offline=true', '--no-pager', `./${u}`], unitDir);
      const m = /Overall exposure level for \S+: (\d+\.\d)/.exec(sec.out);
      assert.ok(m, sec.out.slice(-500));
      assert.ok(Number(m[1]) <= max, `${u}: exposure ${m[1]} > ${max}\n${sec.out}`);
    }
    const collector = readFileSync(join(unitDir, 'appnet-collector.service'), 'utf8');
    assert.match(collector, /^CapabilityBoundingSet=CAP_NET_ADMIN CAP_BPF CAP_DAC_READ_SEARCH$/m);
    assert.match(collector, /^NoNewPrivileges=yes$/m);
    assert.match(collector, /^ProtectSystem=strict$/m);
    assert.match(collector, /^ReadWritePaths=\/var\/lib\/appnet$/m);
    const dashboard = readFileSync(join(unitDir, 'appnet-dashboard.service'), 'utf8');
    assert.match(dashboard, /^User=appnet$/m);
    assert.match(dashboard, /^CapabilityBoundingSet=$/m, 'the dashboard keeps no capability at all');

    const ids = accountIds(prefix, ACCOUNT);
    assert.ok(ids.uid !== null && ids.uid > 0 && ids.gid !== null && ids.gid > 0, 'a system account appnet exists under the prefix');
    const dir = statSync(join(prefix, 'var/lib/appnet'));
    assert.equal(dir.mode & 0o7777, 0o750, 'only root may change entries of the store directory');
    assert.equal(dir.gid, ids.gid);
    const dbPath = join(prefix, 'var/lib/appnet/appnet.db');
    const dbStat = statSync(dbPath);
    assert.equal(dbStat.mode & 0o777, 0o640, 'the dashboard reads the store, never writes it');
    assert.equal(dbStat.gid, ids.gid);
    assert.equal(existsSync(`${dbPath}-wal`), false, 'handed back to readers: no -wal needed to read it');
    const db = openDb(dbPath, { readonly: true });
    assert.equal(schemaVersion(db), latestSchemaVersion(), 'the store is migrated before either service starts');
    db.close();

    // Installing again is harmless (account and store exist).
    runInstall({ prefix }, quiet);
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
});

test('install refuses a store that was swapped for a link, and leaves the link target as it was', { skip: !IS_ROOT && 'needs root' }, () => {
  const prefix = scratchRoot();
  try {
    runInstall({ prefix }, quiet);
    const dbPath = join(prefix, 'var/lib/appnet/appnet.db');
    const canary = join(prefix, 'canary');
    writeFileSync(canary, 'root only\n', { mode: 0o600 });
    rmSync(dbPath);
    symlinkSync(canary, dbPath);
    assert.throws(() => runInstall({ prefix }, quiet), /appnet\.db is a symbolic link/);
    const st = lstatSync(canary);
    assert.deepEqual([st.uid, st.gid, st.mode & 0o7777, readFileSync(canary, 'utf8')], [0, 0, 0o600, 'root only\n']);
    // An older layout (root:appnet 2770) is corrected through the directory's descriptor.
    rmSync(dbPath);
    const store = join(prefix, 'var/lib/appnet');
    chmodSync(store, 0o2770);
    runInstall({ prefix }, quiet);
    assert.equal(statSync(store).mode & 0o7777, 0o750);
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
});

test('--dry-run lists the steps and changes nothing', () => {
  const prefix = scratchRoot();
  try {
    const before = readFileSync(join(prefix, 'etc/passwd'), 'utf8');
    const lines: string[] = [];
    runInstall({ prefix, dryRun: true }, (l) => lines.push(l));
    assert.ok(lines.some((l) => l.startsWith('would write') && l.endsWith('appnet-collector.service')));
    assert.deepEqual(readdirSync(prefix), ['etc']);
    assert.equal(readFileSync(join(prefix, 'etc/passwd'), 'utf8'), before);
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
});

test('NFTSet= drop-ins for system services with firewall settings, stale ones removed', { skip: !IS_ROOT && 'needs root' }, () => {
  const prefix = scratchRoot();
  try {
    runInstall({ prefix }, quiet);
    const dbPath = join(prefix, 'var/lib/appnet/appnet.db');
    const unitDir = join(prefix, 'etc/systemd/system');
    const db = openDb(dbPath);
    const nginx = ensureFwApp(db, 'nginx.service', 1);
    const pg = ensureFwApp(db, 'postgresql@15-main.service', 1);
    ensureFwApp(db, 'app:firefox', 1);
    ensureFwApp(db, 'user:pipewire.service', 1);
    db.close();
    runNftSet({ db: dbPath, dir: unitDir, force: true }, quiet);
    const dropIn = (u: string) => join(unitDir, `${u}.d`, DROPIN_NAME);
    assert.equal(readFileSync(dropIn('nginx.service'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).join('\n'), `[Service]\nNFTSet=cgroup:inet:appnet:fw_c${nginx}`);
    assert.match(readFileSync(dropIn('postgresql@15-main.service'), 'utf8'), new RegExp(`NFTSet=cgroup:inet:appnet:fw_c${pg}`));
    assert.deepEqual(readdirSync(unitDir).filter((d) => d.endsWith('.d')).sort(), ['nginx.service.d', 'postgresql@15-main.service.d'], 'desktop apps and user services get none');

    // systemd-analyze verify accepts the drop-in; a systemd older than 255 only lacks the key.
    copyFileSync(join(ROOT, 'packaging/systemd/appnet-dashboard.service'), join(unitDir, 'nginx.service'));
    const version = parseSystemdVersion(spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' }).stdout) ?? 0;
    const verify = analyze(['verify', '--man=no', './nginx.service'], unitDir);
    const complaints = verify.out.split('\n').filter((l) => l.includes(DROPIN_NAME));
    if (version >= NFTSET_MIN_SYSTEMD) assert.deepEqual(complaints, []);
    else assert.deepEqual(complaints.map((l) => l.replace(/^.*\.conf:\d+: /, '')), ["Unknown key 'NFTSet' in section [Service], ignoring."]);

    const db2 = openDb(dbPath);
    db2.prepare("DELETE FROM fw_apps WHERE app_key = 'nginx.service'").run();
    db2.close();
    runNftSet({ db: dbPath, dir: unitDir, force: true }, quiet);
    assert.equal(existsSync(dropIn('nginx.service')), false, 'the drop-in of an app without firewall settings is removed');
    assert.equal(existsSync(dropIn('postgresql@15-main.service')), true);
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
});
