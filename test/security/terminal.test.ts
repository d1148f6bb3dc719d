/**
 * Terminal escape injection (#17.6): a desktop user may name a cgroup in their delegated
 * subtree `ESC]0;…BEL ESC[31m…`, and the name reaches root's terminal through `appnet top`,
 * `appnet rules list` and `appnet export`, and a spreadsheet through the CSV. Every control
 * character (C0, DEL, C1, bidi overrides) comes out as a visible escape; CSV cells that a
 * spreadsheet would evaluate get an apostrophe, also after white space or in fullwidth.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openDb } from '../../db/open';
import { csvCell } from '../../lib/csv';
import { parseCsv } from '../parse-csv';
import { seedDb } from '../fixtures/seed';
import { runCli } from './helpers';

const HOSTILE = '\u001b]0;pwned\u0007\u001b[31mred\u009b2J\u202eevil';
const RAW = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e]/;
let dir: string;
let db: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'appnet-term-'));
  db = join(dir, 'appnet.db');
  seedDb(db, { now: Math.floor(Date.now() / 1000), days: 1 });
  const d = openDb(db);
  // The app with the most traffic gets the hostile name, as a cgroup name would give it.
  const top = d.prepare(`SELECT a.id FROM apps a JOIN series s ON s.app_id = a.id JOIN usage_1h u ON u.series_id = s.id GROUP BY a.id ORDER BY SUM(u.rx_bytes + u.tx_bytes) DESC LIMIT 1`).get() as { id: number };
  d.prepare('UPDATE apps SET name = ?, app_key = ? WHERE id = ?').run(`app ${HOSTILE}`, `app:x${HOSTILE}`, top.id);
  d.close();
  const added = await runCli(['rules', 'add', '--db', db, '--app', 'nginx.service', '--direction', 'in', '--action', 'drop', '--comment', 'plain']);
  assert.equal(added.code, 0, added.stderr);
  const w = openDb(db);
  w.prepare('UPDATE rules SET comment = ?, last_error = ?').run(`note ${HOSTILE}`, `error ${HOSTILE}`);
  w.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

function assertEscaped(what: string, out: string): void {
  assert.doesNotMatch(out, RAW, `${what} printed a raw control character`);
  assert.ok(out.includes('\\x1b]0;pwned\\x07\\x1b[31mred') || out.includes('\\u001b]0;pwned\\u0007\\u001b[31mred'), `${what} shows the name escaped:\n${out.slice(0, 400)}`);
}

test('appnet top shows control characters in app names escaped (text and JSON)', async () => {
  const text = await runCli(['top', '--db', db, '--since', '7d']);
  assert.equal(text.code, 0, text.stderr);
  assertEscaped('top', text.stdout);
  const json = await runCli(['top', '--db', db, '--since', '7d', '--json']);
  assertEscaped('top --json', json.stdout);
  const apps = (JSON.parse(json.stdout) as { apps: Array<{ name: string }> }).apps;
  assert.ok(apps.some((a) => a.name === `app ${HOSTILE}`), 'the JSON still holds the very name');
});

test('appnet rules list shows comments and errors escaped', async () => {
  for (const args of [[], ['--json']]) {
    const r = await runCli(['rules', 'list', '--db', db, ...args]);
    assert.equal(r.code, 0, r.stderr);
    assertEscaped(`rules list ${args.join(' ')}`, r.stdout);
  }
});

test('appnet export to the terminal, CSV and JSON, carries no raw control character', async () => {
  for (const format of ['csv', 'json']) {
    const r = await runCli(['export', '--db', db, '--period', '7d', '--format', format]);
    assert.equal(r.code, 0, r.stderr);
    assertEscaped(`export ${format}`, r.stdout);
  }
});

test('CSV: formulas are neutralised after leading white space and in fullwidth; line breaks cannot split a row', () => {
  for (const bad of ['=1+1', ' =1+1', '  +1', '\t-1', '\u3000@A1', '＝HYPERLINK("x")', ' ＋1', '－1', '＠A1']) {
    assert.ok(csvCell(bad).replace(/^"/, '').startsWith("'"), JSON.stringify(bad));
  }
  for (const fine of ['a=1', 'nginx.service', '1-2']) assert.ok(!csvCell(fine).startsWith("'"), fine);
  assert.deepEqual(parseCsv(`${csvCell('a\r\nb')},x\r\n`), [['a\\x0d\\x0ab', 'x']]);
  assert.equal(csvCell(HOSTILE), '\\x1b]0;pwned\\x07\\x1b[31mred\\x9b2J\\u202eevil');
});
