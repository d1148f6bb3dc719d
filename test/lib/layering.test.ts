/**
 * The dependency direction of STYLE.md, enforced: lib ← db ← {collector, app/_data};
 * components ← app; the collector and the web side meet only in the SQLite file.
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

const rules: Array<{ from: string; banned: string[]; bannedPackages?: RegExp }> = [
  { from: 'lib', banned: ['db', 'collector', 'server', 'app', 'components'], bannedPackages: /^(node:|react|next|better-sqlite3|systeminformation)/ },
  { from: 'db', banned: ['collector', 'server', 'app', 'components'] },
  { from: 'collector', banned: ['server', 'app', 'components'] },
  { from: 'server', banned: ['collector', 'components'] },
  { from: 'components', banned: ['db', 'collector', 'server'] },
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
