/**
 * The dependency direction of STYLE.md, enforced: lib ← db ← {collector, app/_data};
 * components ← app; the collector and the web side meet only in the SQLite file. Within a
 * side, the daemon does not reach into CLI commands and the data layer not into the UI;
 * production code never imports test or bench code, and bench never imports tests (what
 * both use lives in harness/).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const p = join(dir, name);
    if (statSync(join(ROOT, p)).isDirectory()) out.push(...files(p));
    else if (/\.(ts|tsx|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

/** imports returns the specifiers of static and dynamic imports in a file. */
function imports(file: string): string[] {
  const src = readFileSync(join(ROOT, file), 'utf8');
  const specs = [...src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g), ...src.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]);
  return specs;
}

/** topOf names the top-level folder a relative import lands in. */
function topOf(file: string, spec: string): string | null {
  if (spec.startsWith('@/')) return spec.slice(2).split('/')[0];
  if (!spec.startsWith('.')) return null;
  return relative(ROOT, resolve(ROOT, dirname(file), spec)).split('/')[0];
}

/** Test and benchmark code: nothing that ships may import it. */
const NOT_SHIPPED = ['test', 'bench', 'harness'];

const rules: Array<{ from: string; banned: string[]; bannedPackages?: RegExp }> = [
  { from: 'lib', banned: ['db', 'collector', 'server', 'app', 'components', ...NOT_SHIPPED], bannedPackages: /^(node:|react|next|better-sqlite3|systeminformation)/ },
  { from: 'db', banned: ['collector', 'server', 'app', 'components', ...NOT_SHIPPED] },
  { from: 'collector', banned: ['server', 'app', 'components', ...NOT_SHIPPED] },
  { from: 'server', banned: ['collector', 'components', ...NOT_SHIPPED] },
  { from: 'components', banned: ['db', 'collector', 'server', ...NOT_SHIPPED] },
  { from: 'app', banned: NOT_SHIPPED },
  { from: 'bench', banned: ['test'] },
  { from: 'harness', banned: ['test', 'bench'] },
];

for (const r of rules) {
  test(`${r.from}/ imports nothing from ${r.banned.join(', ')}`, () => {
    const bad: string[] = [];
    for (const f of files(r.from)) {
      for (const spec of imports(f)) {
        const top = topOf(f, spec);
        if (top && r.banned.includes(top)) bad.push(`${f} → ${spec}`);
        if (!top && r.bannedPackages?.test(spec)) bad.push(`${f} → ${spec}`);
      }
    }
    assert.deepEqual(bad, []);
  });
}

test('in app/, only the server-only data layer (app/_data) reaches the store', () => {
  const bad = files('app')
    .filter((f) => !f.startsWith('app/_data/'))
    .flatMap((f) => imports(f).filter((s) => ['db', 'collector'].includes(topOf(f, s) ?? '')).map((s) => `${f} → ${s}`));
  assert.deepEqual(bad, []);
});

/** pathOf resolves a relative import to a repository path (no extension), or null for a package. */
function pathOf(file: string, spec: string): string | null {
  if (spec.startsWith('@/')) return spec.slice(2);
  return spec.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), spec)) : null;
}

test('the collector daemon imports nothing from the CLI commands (collector/commands)', () => {
  const bad = files('collector')
    .filter((f) => !f.startsWith('collector/commands/') && f !== 'collector/cli.ts')
    .flatMap((f) => imports(f).filter((s) => pathOf(f, s)?.startsWith('collector/commands/')).map((s) => `${f} → ${s}`));
  assert.deepEqual(bad, []);
});

test('the data layer (app/_data) imports nothing from pages, routes or components, types included', () => {
  const bad = files('app/_data').flatMap((f) =>
    imports(f)
      .filter((s) => {
        const p = pathOf(f, s);
        return p !== null && (p.startsWith('components/') || (p.startsWith('app/') && !p.startsWith('app/_data/')));
      })
      .map((s) => `${f} → ${s}`),
  );
  assert.deepEqual(bad, []);
});

test('SQL lives in db/ alone: no statement is prepared or run anywhere else that ships', () => {
  const bad = ['collector', 'server', 'app', 'lib', 'components']
    .flatMap(files)
    .filter((f) => /\.prepare\(\s*[`'"]|\bprepared\(|\.pragma\(|\.exec\(\s*[`'"]\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|PRAGMA)/i.test(readFileSync(join(ROOT, f), 'utf8')));
  assert.deepEqual(bad, []);
});

test('one schema probe: only db/open.ts (hasTable) asks SQLite which tables exist', () => {
  const bad = ['collector', 'server', 'app', 'lib', 'components', 'db']
    .flatMap(files)
    .filter((f) => f !== 'db/open.ts' && /sqlite_master|table_list|table_info/.test(readFileSync(join(ROOT, f), 'utf8')));
  assert.deepEqual(bad, []);
});

test('one clock conversion: shipped code turns ms into timestamp seconds only through lib/time (unixSeconds, nowSeconds)', () => {
  const byHand = /Date\.now\(\) \/ 1000|getTime\(\) \/ 1000|Math\.floor\([\w.]+ \/ 1000\)/;
  const bad = ['app', 'components', 'lib', 'db', 'collector', 'server']
    .flatMap(files)
    .filter((f) => f !== 'lib/time.ts' && byHand.test(readFileSync(join(ROOT, f), 'utf8')));
  assert.deepEqual(bad, []);
});
