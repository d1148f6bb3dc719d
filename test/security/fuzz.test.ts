/**
 * Thousands of random and hostile bodies against the state-changing endpoints of the
 * production build: zero 5xx, nothing invalid stored, and the web process never runs nft
 * (a fake nft first in its PATH records any call).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { openDb } from '../../db/open';
import { type Dashboard, ROOT, login, nftCalls, raw, startDashboard } from './helpers';

let d: Dashboard;
let cookie: string;

before(async () => {
  d = await startDashboard();
  cookie = await login(d);
});
after(async () => d?.stop());

const NASTY = [
  '', ' ', '*', '; flush ruleset', '$(reboot)', '`id`', '"; drop table rules; --', '\n}\ntable inet evil { }', '../../../etc/passwd', '\u0000', '\u202e',
  'x'.repeat(5000), '0.0.0.0/0', '::/0', '10.0.0.1/33', '1.2.3.4/-1', '999.1.1.1', '1.2.3.4,', ',,,', '1.2.3.4 5.6.7.8', '::ffff:1.2.3.4', 'fe80::1%eth0',
  '0', '-1', '65536', '1-', '5-1', '80,80', '1e3', '0x50', 'NaN', 'Infinity', 'null', 'true', '{}', '[]', 'system.slice/../../root', '/sys/fs/cgroup',
  'app:org.mozilla.firefox', 'nginx.service', 'user.slice/user-1000.slice', 'eth0', 'eth0; reboot', 'a'.repeat(16), 'lo', '<script>alert(1)</script>', '%00', '\\',
];
const hostile = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer({ min: -70000, max: 70000 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.constantFrom(...NASTY), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);
const ruleish = fc.record(
  {
    app: fc.oneof(fc.constantFrom('*', 'nginx.service', 'app:org.mozilla.firefox'), hostile),
    direction: fc.oneof(fc.constantFrom('in', 'out', 'both'), hostile),
    action: fc.oneof(fc.constantFrom('allow', 'drop', 'reject', 'count', 'deny'), hostile),
    protocol: fc.oneof(fc.constantFrom('any', 'tcp', 'udp', 'icmp'), hostile),
    remote: fc.oneof(fc.constantFrom('10.0.0.0/8', '2001:db8::/32', '1.2.3.4, 5.6.7.8'), hostile),
    localPort: fc.oneof(fc.constantFrom('80', '1000-2000', 443), hostile),
    remotePort: fc.oneof(fc.constantFrom('53', '1-65535'), hostile),
    network: fc.oneof(fc.constantFrom('any', 'metered', 'mobile'), hostile),
    iface: fc.oneof(fc.constantFrom('eth0', 'wwan0'), hostile),
    comment: fc.oneof(fc.constantFrom('block ads', 'ok (test)'), hostile),
    enabled: fc.oneof(fc.boolean(), hostile),
    priority: fc.oneof(fc.integer({ min: 0, max: 1000 }), hostile),
    ['__proto__']: hostile,
    constructor: hostile,
  },
  { requiredKeys: [] },
);
const FIELDS = ['app', 'direction', 'action', 'protocol', 'remote', 'localPort', 'remotePort', 'network', 'iface', 'comment', 'enabled', 'priority'] as const;
const wellFormed = fc.record({
  app: fc.constantFrom('*', 'nginx.service', 'app:org.mozilla.firefox', 'system.slice/cron.service'),
  direction: fc.constantFrom('in', 'out', 'both'),
  action: fc.constantFrom('allow', 'drop', 'reject', 'count'),
  protocol: fc.constantFrom('any', 'tcp', 'udp'),
  remote: fc.constantFrom(null, '10.0.0.0/8', '2001:db8::/32, 192.0.2.1'),
  localPort: fc.constantFrom(null, '80', '1000-2000'),
  comment: fc.constantFrom('', 'block ads', 'ok (test)'),
});
/** A rule that is valid except, often, for one field replaced by something hostile. */
const almostValid = fc
  .tuple(wellFormed, fc.option(fc.constantFrom(...FIELDS), { freq: 3 }), hostile)
  .map(([rule, field, value]) => JSON.stringify(field === null ? rule : { ...rule, [field]: value }));
const body = fc.oneof(
  { weight: 4, arbitrary: almostValid },
  { weight: 4, arbitrary: ruleish.map((r) => JSON.stringify(r)) },
  { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '{', '{"app":', 'null', '[]', '"x"', '1e999', '{"a":'.repeat(5000), JSON.stringify({ app: '*', comment: 'x'.repeat(300000) })) },
);

/** children lists the web process's child processes as 'pid command line'. */
function children(pid: number): string[] {
  const out: string[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
    for (const child of text ? text.split(/\s+/) : []) {
      let cmd = '(gone)';
      try {
        cmd = readFileSync(`/proc/${child}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      } catch {
        // exited meanwhile
      }
      out.push(`${child} ${cmd}`);
    }
  }
  return out;
}

/**
 * webChildren lists what the web process started. Root only launches the server (server/launch.ts):
 * its one child is the web process, and that process's children are what must stay empty.
 */
function webChildren(launcherPid: number): string[] {
  const [server, ...others] = children(launcherPid);
  if (!server) return ['(no server process under the launcher)'];
  return [...others, ...children(Number(server.split(' ')[0]))];
}

interface RulesModules {
  validateRule(input: unknown): { ok: boolean; message?: string };
  rowToRuleInput(row: unknown): unknown;
  getRules(db: unknown): unknown[];
}

async function rulesModules(): Promise<RulesModules> {
  const model = (await import(join(ROOT, 'lib/rules/model.ts'))) as Pick<RulesModules, 'validateRule'>;
  const queries = (await import(join(ROOT, 'db/queries/rules.ts'))) as Pick<RulesModules, 'rowToRuleInput' | 'getRules'>;
  return { ...model, ...queries };
}

/** The route exists in the production build being tested (not merely in the source tree). */
function builtRoute(route: string): boolean {
  const manifest = join(ROOT, '.next/app-path-routes-manifest.json');
  return existsSync(manifest) && Object.values(JSON.parse(readFileSync(manifest, 'utf8')) as Record<string, string>).includes(route);
}
const HAS_RULES_API = builtRoute('/api/rules');

test('POST /api/rules: thousands of random and hostile bodies, zero 5xx, only valid rules stored, no nft', { skip: !HAS_RULES_API && 'the build has no /api/rules route yet' }, async (t) => {
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(body, fc.constantFrom('bearer', 'session'), async (b, via) => {
      const auth: Record<string, string> = via === 'bearer' ? { Authorization: `Bearer ${d.token}` } : { Cookie: cookie, Origin: `http://127.0.0.1:${d.port}` };
      const r = await raw(d, { method: 'POST', path: '/api/rules', headers: { ...auth, 'Content-Type': 'application/json' }, body: b });
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      assert.ok(r.status >= 200 && r.status < 500, `status ${r.status} for ${b.slice(0, 200)}: ${r.body.slice(0, 200)}`);
      assert.doesNotMatch(r.body, /\bat \S+ \(|node_modules|\/work\/|SQLITE_/, 'errors leak no internals');
    }),
    { numRuns: 3000, seed: 20261128 },
  );
  const m = await rulesModules();
  const db = openDb(d.dbPath, { readonly: true });
  try {
    const rows = m.getRules(db);
    for (const row of rows) {
      const v = m.validateRule(m.rowToRuleInput(row));
      assert.ok(v.ok, `stored rule ${JSON.stringify(row)} is invalid: ${v.message}`);
    }
    assert.ok((statuses.get(201) ?? statuses.get(200) ?? 0) > 0, `some valid rules were accepted: ${JSON.stringify([...statuses])}`);
    assert.ok(rows.length > 0);
    t.diagnostic(`statuses ${JSON.stringify(Object.fromEntries(statuses))}, ${rows.length} rules stored, all valid`);
  } finally {
    db.close();
  }
  assert.equal(nftCalls(d), '', 'the web process never ran nft');
  assert.deepEqual(webChildren(d.pid), []);
});

function hiddenActionFields(html: string): Array<[string, string]> {
  const form = /<form class="netform"[\s\S]*?<\/form>/.exec(html)?.[0] ?? '';
  const out: Array<[string, string]> = [];
  for (const m of form.matchAll(/<input type="hidden" name="(\$ACTION_[^"]+)"(?: value="([^"]*)")?\/>/g)) {
    out.push([m[1], (m[2] ?? '').replace(/&quot;/g, '"').replace(/&amp;/g, '&')]);
  }
  return out;
}

test('the Networks form action: random and hostile field values, zero 5xx, stored settings stay valid, no nft', async () => {
  const page = await raw(d, { path: '/networks', headers: { Cookie: cookie } });
  const hidden = hiddenActionFields(page.body);
  assert.ok(hidden.some(([k]) => k.startsWith('$ACTION_REF')), `the page has a progressive-enhancement action form (status ${page.status}): ${page.body.slice(0, 300)}`);
  const value = fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 30 }), fc.integer({ min: -100, max: 100 }).map(String));
  let saved = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.record({ id: fc.oneof(fc.constantFrom('1', '2', '3'), value), metered: fc.oneof(fc.constantFrom('auto', 'yes', 'no'), value), cycleStartDay: fc.oneof(fc.integer({ min: 1, max: 28 }).map(String), value), planGiB: fc.oneof(fc.constantFrom('', '1', '2.5'), value) }),
      async (fields) => {
        const form = new FormData();
        for (const [k, v] of hidden) form.append(k, v);
        for (const [k, v] of Object.entries(fields)) form.append(k, v);
        const res = await fetch(`${d.base}/networks`, { method: 'POST', body: form, headers: { Cookie: cookie, Origin: `http://127.0.0.1:${d.port}` }, redirect: 'manual' });
        const text = await res.text();
        assert.ok(res.status < 500, `status ${res.status} for ${JSON.stringify(fields)}`);
        if (text.includes('Saved.')) saved++;
      },
    ),
    { numRuns: 600, seed: 5 },
  );
  assert.ok(saved > 0, 'some well-formed submissions were saved (the fuzz reached the action)');
  const db = openDb(d.dbPath, { readonly: true });
  try {
    const rows = db.prepare('SELECT metered_user AS m, cycle_start_day AS day, plan_bytes AS plan FROM networks').all() as Array<{ m: number | null; day: number; plan: number | null }>;
    for (const r of rows) {
      assert.ok(r.m === null || r.m === 0 || r.m === 1, JSON.stringify(r));
      assert.ok(Number.isInteger(r.day) && r.day >= 1 && r.day <= 28, JSON.stringify(r));
      assert.ok(r.plan === null || (Number.isInteger(r.plan) && r.plan > 0), JSON.stringify(r));
    }
  } finally {
    db.close();
  }
  assert.equal(nftCalls(d), '', 'the web process never ran nft');
  assert.deepEqual(webChildren(d.pid), []);
});
