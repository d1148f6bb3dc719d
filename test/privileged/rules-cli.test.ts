// The command line: `appnet run` puts a command in its app cgroup with its rules in place
// before it starts; `appnet rules add` refuses bad rules with a clear sentence and
// nothing of them ever reaches the store or nft.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { withSandbox } from '../../collector/sandbox/sandbox';
import { getRules } from '../../db/queries/rules';
import { CLIENT, addRule, applyAll, ruleset, startServer, tempDb } from './rules-helpers';

const APPNET = join(import.meta.dirname, '..', '..', 'bin', 'appnet.mjs');
const run = promisify(execFile);

test('appnet run --app NAME starts the command with its rules already in force (its very first connection is decided)', async () => {
  const { db, close } = tempDb();
  try {
    await withSandbox(async (s) => {
      const l = await s.addLink({ name: 'wwan0', subnet: 7 });
      addRule(db, { app: 'app:fetcher', direction: 'out', action: 'reject', protocol: 'tcp', remotePort: '443' });
      const web = await startServer(s, { net: 'peer', ports: [443, 80] });
      const dbPath = db.name;
      const appnetRun = (port: number) =>
        s.exec([process.execPath, APPNET, 'run', '--app', 'fetcher', '--db', dbPath, '--', 'python3', '-c', CLIENT, l.peerV4, String(port), 'tcp', '-']);
      const blocked = await appnetRun(443);
      const allowed = await appnetRun(80);
      const seen = await web.stop();
      assert.equal(blocked.stdout.trim(), 'ERR ECONNREFUSED', blocked.stderr);
      assert.equal(allowed.stdout.trim(), 'OK 3', allowed.stderr);
      assert.equal(blocked.code, 0);
      assert.deepEqual(seen, [`ACCEPT 80 ${l.v4}`], 'the refused connection never reached the server');
      assert.deepEqual(readdirSync(s.cgroupPath('appnet.slice'), { withFileTypes: true }).filter((e) => e.isDirectory()), [], 'the app scope is removed when the command ends');
      assert.equal(getRules(db)[0].appliedVersion, 1, 'appnet run recorded the apply');
      const bad = await s.exec([process.execPath, APPNET, 'run', '--app', 'no/such', '--db', dbPath, '--', 'true']);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /--app 'no\/such' must be a plain app name/);
    });
  } finally {
    close();
  }
});

test('appnet rules add refuses bad rules with a clear error; nothing reaches the store or nft', async () => {
  const { db, close } = tempDb();
  try {
    const cases: [string[], RegExp][] = [
      [['--remote', '10.10.0.0/33'], /remote: '10\.10\.0\.0\/33' is not a valid CIDR/],
      [['--local-port', '0'], /port 0 is out of range/],
      [['--remote-port', '70000'], /port 70000 is out of range/],
      [['--direction', 'sideways'], /direction must be one of in, out, both, got 'sideways'/],
      [['--comment', 'x'.repeat(201)], /comment must be at most 200 characters/],
      [['--local-port', '80; flush ruleset'], /local port: '80; flush ruleset' is not a port/],
      [['--iface', 'eth0"; flush ruleset; "'], /is not a valid interface name/],
    ];
    for (const [extra, re] of cases) {
      const args = [APPNET, 'rules', 'add', '--db', db.name, '--app', 'postgresql.service', '--direction', 'in', '--action', 'allow', ...extra];
      const err = await run(process.execPath, args).then(() => null, (e: { code: number; stderr: string }) => e);
      assert.ok(err, `accepted ${extra.join(' ')}`);
      assert.equal(err.code, 2);
      assert.match(err.stderr, /^appnet: rule refused: /);
      assert.match(err.stderr, re);
    }
    assert.equal(getRules(db).length, 0, 'nothing was stored');
    await withSandbox(async (s) => {
      assert.equal(await applyAll(s, db, []), null);
      const text = await ruleset(s);
      assert.doesNotMatch(text, /appnet:r\d|flush|70000|sideways/);
    });
  } finally {
    close();
  }
});
