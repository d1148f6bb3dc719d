/**
 * `appnet rules list|add|remove|enable|disable|default`: edit the desired firewall state
 * in the store. The collector re-validates and applies it; this command never runs nft.
 */
import type { Command } from 'commander';
import { dbOption } from '../../lib/store-option';
import { openDb, type Db } from '../../db/open';
import { getFwApps, getFwState, getRules, type FwAppRow, type RuleRow } from '../../db/queries/rules';
import { addRule, changeRule, removeAppPolicy, removeRule, setAppPolicy, type EditResult } from '../../db/rules-edit';
import { previewRule } from '../../lib/nft/firewall';
import { RULE_HELP, RULE_KEYS, ruleFields, validateRule } from '../../lib/rules/model';
import { applyStatus } from '../../lib/rules/status';
import { bytesText } from '../../lib/rules/values';
import { PRECEDENCE } from '../../lib/rules/vocabulary';
import { formatBytes } from '../../lib/format';
import { escapeControlsKeepLines, jsonForTerminal } from '../../lib/terminal';
import { nowSeconds } from '../../lib/time';

interface DbOpt {
  db: string;
  json?: boolean;
}

/** The rule options of `rules add` carry the schema's field names (commander camel-cases --local-port). */
type AddOpts = DbOpt & Partial<Record<(typeof RULE_KEYS)[number], string | string[]>> & { disabled?: boolean; dryRun?: boolean };

interface DefaultOpts extends DbOpt {
  app: string;
  in?: string;
  out?: string;
  quota?: string;
  quotaNetwork?: string;
  cycleDay?: string;
  reset?: boolean;
}

/** UsageError is a refusal the user can fix: printed as one sentence, exit status 2. */
class UsageError extends Error {}

function withDb<T>(opts: DbOpt, fn: (db: Db) => T): T {
  const db = openDb(opts.db, { migrate: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** print writes the JSON or the text, with any control character from the store shown escaped (lib/terminal.ts). */
function print(opts: DbOpt, json: unknown, text: string): void {
  process.stdout.write(opts.json ? jsonForTerminal(json) + '\n' : escapeControlsKeepLines(text) + (text.endsWith('\n') ? '' : '\n'));
}

function ruleJson(r: RuleRow) {
  return { ...r, status: applyStatus(r) };
}

function ruleLine(r: RuleRow): string {
  const where = r.iface ? `iface ${r.iface}` : r.network !== 'any' ? `on ${r.network}` : '';
  const parts = [
    `#${r.id}`.padEnd(5), r.app.padEnd(28), r.direction.padEnd(4), r.action.padEnd(6), r.protocol.padEnd(4),
    r.remote ? `remote ${r.remote}` : '', r.localPort ? `lport ${r.localPort}` : '', r.remotePort ? `rport ${r.remotePort}` : '',
    where, `prio ${r.priority}`, r.enabled ? '' : '(off)', `[${applyStatus(r)}]`, r.hitPackets ? `${r.hitPackets} pkts ${formatBytes(r.hitBytes)}` : '',
    r.comment ? `# ${r.comment}` : '', r.lastError ? `\n      error: ${r.lastError}` : '',
  ];
  return parts.filter(Boolean).join(' ');
}

function appLine(a: FwAppRow): string {
  const quota = a.quotaBytes ? `cap ${formatBytes(a.quotaUsed)} of ${bytesText(a.quotaBytes)} on ${a.quotaNetwork} (cycle day ${a.quotaCycleDay})` : 'no cap';
  return `${a.app.padEnd(28)} default in ${a.defaultIn}, out ${a.defaultOut}; ${quota}${a.lastError ? `\n      error: ${a.lastError}` : ''}`;
}

function parseId(v: string): number {
  const n = Number(v);
  if (!/^-?\d{1,15}$/.test(v) || !Number.isSafeInteger(n)) throw new UsageError(`rule id must be a whole number, got '${v}'`);
  return n;
}

/** done returns an edit's value, or stops with its message as a usage error. */
function done<T>(r: EditResult<T>, what: string): T {
  if (r.ok) return r.value;
  throw new UsageError(r.code === 'bad_request' ? `${what} refused: ${r.message}` : r.message);
}

/** ruleInput collects the rule fields given on the command line (missing ones take the schema's defaults). */
function ruleInput(opts: AddOpts): Record<string, unknown> {
  const given = Object.fromEntries(RULE_KEYS.filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]]));
  return { ...given, enabled: !opts.disabled };
}

function add(opts: AddOpts): void {
  const input = ruleInput(opts);
  if (opts.dryRun) {
    const v = validateRule(input);
    if (!v.ok) throw new UsageError(`rule refused: ${v.message}`);
    const preview = previewRule(v.value);
    return print(opts, { rule: v.value, nft: preview.ok ? preview.lines : [] }, preview.ok ? preview.lines.join('\n') : '');
  }
  const row = withDb(opts, (db) => done(addRule(db, input, nowSeconds()), 'rule'));
  print(opts, { id: row.id, rule: ruleJson(row) }, `added rule #${row.id} (the collector applies it within seconds)`);
}

function setDefault(opts: DefaultOpts): void {
  withDb(opts, (db) => {
    if (opts.reset) {
      const r = done(removeAppPolicy(db, opts.app, nowSeconds()), 'settings');
      return print(opts, r, `settings of ${r.app} removed${r.rulesKept ? ` (its ${r.rulesKept} rule(s) stay)` : ''}`);
    }
    const quota = opts.quota === 'none' ? null : opts.quota;
    const input = { app: opts.app, defaultIn: opts.in, defaultOut: opts.out, quotaBytes: quota, quotaNetwork: opts.quotaNetwork, quotaCycleDay: opts.cycleDay };
    const a = done(setAppPolicy(db, input, nowSeconds(), { merge: true }), 'settings');
    print(opts, a, `settings of ${a.app} saved: default in ${a.defaultIn}, out ${a.defaultOut}${a.quotaBytes ? `, cap ${bytesText(a.quotaBytes)} on ${a.quotaNetwork}` : ''}`);
  });
}

function list(opts: DbOpt): void {
  withDb(opts, (db) => {
    const rules = getRules(db);
    const apps = getFwApps(db);
    const state = getFwState(db);
    const text = [
      'Precedence:',
      ...PRECEDENCE.map((p, i) => `  ${i + 1}. ${p}`),
      '',
      'Apps:',
      ...(apps.length ? apps.map((a) => `  ${appLine(a)}`) : ['  (none)']),
      '',
      'Rules:',
      ...(rules.length ? rules.map((r) => `  ${ruleLine(r)}`) : ['  (none)']),
      ...(state.lastError ? ['', `Last apply failed: ${state.lastError}`] : []),
    ].join('\n');
    print(opts, { precedence: PRECEDENCE, apps, rules: rules.map(ruleJson), lastApply: state }, text);
  });
}

function toggle(idText: string, enabled: boolean, opts: DbOpt): void {
  const id = parseId(idText);
  withDb(opts, (db) => {
    const r = done(changeRule(db, id, { enabled }, nowSeconds()), 'rule');
    print(opts, ruleJson(r), `rule #${id} ${enabled ? 'enabled' : 'disabled'}`);
  });
}

/** collect keeps a repeated option's values (--remote a --remote b); a single one stays text. */
const collect = (v: string, prev?: string | string[]): string | string[] => (prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v]);

function guard(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`appnet: ${err.message}\n`);
    process.exitCode = 2;
  }
}

/** registerRules adds `appnet rules …`. */
export function registerRules(program: Command): void {
  const rules = program.command('rules').description('per-app firewall rules (stored; the collector applies them)');
  const common = (c: Command) => c.addOption(dbOption()).option('--json', 'print JSON');
  common(rules.command('list').description('list rules, per-app defaults and the precedence')).action((o: DbOpt) => guard(() => list(o)));
  const addCmd = rules.command('add').description('add a rule, e.g. --app postgresql.service --direction in --action allow --remote 10.10.0.0/16');
  // One option per schema field: required where the schema has no default, repeatable where it takes a list.
  for (const k of RULE_KEYS.filter((x) => x !== 'enabled')) {
    const flag = `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} <value>`;
    const parse = ruleFields[k].safeParse([]).success ? collect : (v: string) => v;
    if (ruleFields[k].safeParse(undefined).success) addCmd.option(flag, RULE_HELP[k], parse);
    else addCmd.requiredOption(flag, RULE_HELP[k], parse);
  }
  common(addCmd.option('--disabled', 'store it switched off').option('--dry-run', 'only validate and print the nft rules it would become')).action((o: AddOpts) => guard(() => add(o)));
  common(rules.command('remove <id>').description('delete a rule')).action((id: string, o: DbOpt) =>
    guard(() => {
      const n = parseId(id);
      withDb(o, (db) => done(removeRule(db, n), 'rule'));
      print(o, { id: n, removed: true }, `rule #${n} removed`);
    }),
  );
  common(rules.command('enable <id>').description('switch a rule on')).action((id: string, o: DbOpt) => guard(() => toggle(id, true, o)));
  common(rules.command('disable <id>').description('switch a rule off (kept, not applied)')).action((id: string, o: DbOpt) => guard(() => toggle(id, false, o)));
  common(
    rules
      .command('default')
      .description("per-app defaults and data cap, e.g. --app postgresql.service --in reject; --app app:firefox --quota 2GiB")
      .requiredOption('--app <selector>', "app key, cgroup path, or '*'")
      .option('--in <policy>', 'inherit | allow | drop | reject')
      .option('--out <policy>', 'inherit | allow | drop | reject')
      .option('--quota <size>', "data cap per billing cycle, e.g. 2GiB; 'none' removes it")
      .option('--quota-network <class>', 'where the cap counts: metered | mobile | any')
      .option('--cycle-day <day>', 'day of the month the billing cycle starts (1–28)')
      .option('--reset', 'remove the app\'s defaults and cap (its rules stay)'),
  ).action((o: DefaultOpts) => guard(() => setDefault(o)));
}
