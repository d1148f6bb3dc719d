/**
 * The PromQL we ship (Grafana dashboard, alert rules, docs/prometheus.md) parses in
 * Prometheus' own checker and only names metrics appnet exports; the example scrape config
 * is valid. Needs promtool (Debian package prometheus).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');

function promtool(args: string[]): { code: number | null; out: string } {
  const r = spawnSync('promtool', args, { encoding: 'utf8' });
  if (r.error) throw new Error(`promtool is not runnable (Debian package prometheus): ${r.error.message}`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Grafana's variables, replaced by values Prometheus accepts. */
function ungrafana(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '5m')
    .replaceAll('$__range', '1d')
    .replaceAll('$topn', '10')
    .replace(/\$(instance|iface|metered)\b/g, '.*');
}

function exprsOfDashboard(): string[] {
  const dash = JSON.parse(readFileSync(join(ROOT, 'packaging/grafana/appnet.json'), 'utf8')) as { panels: Array<{ targets?: Array<{ expr: string }> }>; templating: { list: Array<{ definition?: string }> } };
  return dash.panels.flatMap((p) => (p.targets ?? []).map((t) => ungrafana(t.expr)));
}

function exprsOfDocs(): string[] {
  const md = readFileSync(join(ROOT, 'docs/prometheus.md'), 'utf8');
  return [...md.matchAll(/```promql\n([\s\S]*?)```/g)].map((m) => m[1].trim());
}

/** checkExprs writes the expressions as recording rules and lets promtool parse them. */
function checkExprs(exprs: string[]): { code: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'appnet-promql-'));
  try {
    const file = join(dir, 'rules.yml');
    const rules = exprs.map((e, i) => `      - record: appnet:check_${i}\n        expr: ${JSON.stringify(e)}`).join('\n');
    writeFileSync(file, `groups:\n  - name: check\n    rules:\n${rules}\n`);
    return promtool(['check', 'rules', file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const exported = new Set([...readFileSync(join(ROOT, 'lib/metrics.ts'), 'utf8').matchAll(/name: '(appnet_[a-z_]+)'/g)].map((m) => m[1]));

function assertKnownMetrics(exprs: string[], where: string): void {
  for (const e of exprs) for (const m of e.matchAll(/\b(appnet_[a-z_]+)\b/g)) assert.ok(exported.has(m[1]), `${where} uses ${m[1]}, which appnet does not export`);
}

test('every Grafana panel query parses and names exported metrics', () => {
  const exprs = exprsOfDashboard();
  assert.ok(exprs.length >= 15, `only ${exprs.length} queries found`);
  const r = checkExprs(exprs);
  assert.equal(r.code, 0, r.out);
  assertKnownMetrics(exprs, 'the Grafana dashboard');
});

test('the PromQL examples in docs/prometheus.md parse and name exported metrics', () => {
  const exprs = exprsOfDocs();
  assert.ok(exprs.some((e) => e.includes('metered="true"') && e.includes('[30d]')), 'the top-apps-on-metered-links-over-30-days example is there');
  const r = checkExprs(exprs);
  assert.equal(r.code, 0, r.out);
  assertKnownMetrics(exprs, 'docs/prometheus.md');
});

test('the example alert rules and scrape config pass promtool', () => {
  const rules = promtool(['check', 'rules', join(ROOT, 'packaging/prometheus/appnet-alerts.yml')]);
  assert.equal(rules.code, 0, rules.out);
  assertKnownMetrics([readFileSync(join(ROOT, 'packaging/prometheus/appnet-alerts.yml'), 'utf8')], 'appnet-alerts.yml');
  const cfg = promtool(['check', 'config', '--syntax-only', join(ROOT, 'packaging/prometheus/prometheus.example.yml')]);
  assert.equal(cfg.code, 0, cfg.out);
});
