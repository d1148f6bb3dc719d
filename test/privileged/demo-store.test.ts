/**
 * `appnet demo` never works in a directory another local user could have prepared (#17.3):
 * by default its store is in a fresh private directory (mkdtemp, 0700), removed when the demo
 * ends; a --db in a directory that is a link, or that another account owns or may write, is
 * refused before anything is created or opened.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { APPNET, ROOT, tempDir } from './helpers';

const IS_ROOT = process.getuid?.() === 0;
const scratch = tempDir();
after(() => scratch.remove());

interface Run {
  code: number | null;
  out: string;
  /** What the store directory looked like while the demo ran (from the line that names it). */
  seen?: { path: string; mode: number; uid: number };
}

function demo(args: string[]): Promise<Run> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, [APPNET, 'demo', '--duration', '4', ...args], { cwd: ROOT, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
    let out = '';
    let seen: Run['seen'];
    const onData = (d: Buffer) => {
      out += d;
      const m = /top --db (\S+) /.exec(out);
      if (m && !seen) {
        const st = statSync(join(m[1], '..'));
        seen = { path: m[1], mode: st.mode & 0o777, uid: st.uid };
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      ok({ code, out, seen });
    });
  });
}

test('without --db the demo keeps its store in a fresh 0700 directory of root and removes it afterwards', { skip: !IS_ROOT && 'needs root' }, async () => {
  const r = await demo([]);
  assert.equal(r.code, 0, r.out);
  assert.ok(r.seen, `the demo names its store:\n${r.out}`);
  assert.notEqual(r.seen.path, '/tmp/appnet-demo/appnet.db', 'not the fixed directory anyone can make first');
  assert.match(r.seen.path, /\/appnet-demo-[A-Za-z0-9]{6}\/appnet\.db$/);
  assert.equal(r.seen.mode, 0o700);
  assert.equal(r.seen.uid, 0);
  assert.equal(existsSync(join(r.seen.path, '..')), false, 'removed when the demo ends');
});

test('a --db directory that is a link, or that another account owns or may write, is refused and left alone', { skip: !IS_ROOT && 'needs root' }, async () => {
  const canary = join(scratch.dir, 'canary');
  writeFileSync(canary, 'root only\n', { mode: 0o600 });
  const theirs = join(scratch.dir, 'theirs');
  mkdirSync(theirs);
  chownSync(theirs, 65534, 65534);
  symlinkSync(canary, join(theirs, 'appnet.db'));
  const link = join(scratch.dir, 'link');
  symlinkSync(theirs, link);
  const open = join(scratch.dir, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  for (const [dir, why] of [
    [theirs, /belongs to uid 65534/],
    [link, /symbolic link/],
    [open, /other accounts may write it/],
  ] as const) {
    const r = await demo(['--db', join(dir, 'appnet.db')]);
    assert.equal(r.code, 1, `${dir}: ${r.out}`);
    assert.match(r.out, why);
    assert.match(r.out, /refusing .* as the demo's store directory/);
  }
  const st = lstatSync(canary);
  assert.deepEqual([st.uid, st.gid, st.mode & 0o777, readFileSync(canary, 'utf8')], [0, 0, 0o600, 'root only\n'], 'the canary is untouched');
  assert.equal(lstatSync(join(theirs, 'appnet.db')).isSymbolicLink(), true);
});
