/**
 * `appnet rules list|add|remove|enable|disable|default`: edit the desired firewall state
 * in the store. The collector re-validates and applies it; this command never runs nft.
 */
import type { Command } from 'commander';
import { dbOption } from '../../lib/store-option';
import { openDb, type Db } from '../../db/open';
import {
  deleteRule, getFwApps, getFwState, getRule, getRules, insertRule, setRuleEnabled, upsertAppPolicy,
  type FwAppRow, type RuleRow,
} from '../../db/queries/rules';
import { previewRule } from '../../lib/nft/firewall';
import { PRECEDENCE, validateAppPolicy, validateRule } from '../../lib/rules/model';
import { applyStatus } from '../../lib/rules/status';
import { formatBytes } from '../../lib/format';

interface DbOpt {
  db: string;
  json?: boolean;
}

interface AddOpts extends DbOpt {
  app: string;
  direction: string;
  action: string;
  protocol?: string;
  remote?: string[];
  localPort?: string;
  remotePort?: string;
  network?: string;
  iface?: string;
  comment?: string;
  priority?: string;
  disabled?: boolean;
  dryRun?: boolean;
}

interface DefaultOpts extends DbOpt {
  app: string;
  in?: string;
  out?: string;
  quota?: string;
  quotaNetwork?: string;
  cycleDay?: string;
}

const now = () => Math.floor(Date.now() / 1000);

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

function print(opts: DbOpt, json: unknown, text: string): void {
  process.stdout.write(opts.json ? JSON.stringify(json, null, 2) + '\n' : text + (text.endsWith('\n') ? '' : '\n'));
}

function ruleJson(r: RuleRow) {
  return { ...r, enabled: r.enabled === 1, status: applyStatus(r) };
}

function ruleLine(r: RuleRow): string {
  const where = r.iface ? `iface ${r.iface}` : r.network !== 'any' ? `on ${r.network}` : '';
  const parts = [
    `#${r.id}`.padEnd(5), r.appKey.padEnd(28), r.direction.padEnd(4), r.action.padEnd(6), r.protocol.padEnd(4),
    r.remote ? `remote ${r.remote}` : '', r.localPort ? `lport ${r.localPort}` : '', r.remotePort ? `rport ${r.remotePort}` : '',
    where, `prio ${r.priority}`, r.enabled ? '' : '(off)', `[${applyStatus(r)}]`, r.hitPackets ? `${r.hitPackets} pkts ${formatBytes(r.hitBytes)}` : '',
    r.comment ? `# ${r.comment}` : '', r.lastError ? `\n      error: ${r.lastError}` : '',
  ];
  return parts.filter(Boolean).join(' ');
}

function appLine(a: FwAppRow): string {
  const quota = a.quotaBytes ? `cap ${formatBytes(a.quotaUsed)} of ${formatBytes(a.quotaBytes)} on ${a.quotaNetwork} (cycle day ${a.quotaCycleDay})` : 'no cap';
  return `${a.appKey.padEnd(28)} default in ${a.defaultIn}, out ${a.defaultOut}; ${quota}`;
}

function parseId(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`rule id must be a positive whole number, got '${v}'`);
  return n;
}

function addRule(opts: AddOpts): void {
  const input = {
    app: opts.app, direction: opts.direction, action: opts.action, protocol: opts.protocol ?? 'any',
    remote: opts.remote ?? null, localPort: opts.localPort ?? null, remotePort: opts.remotePort ?? null,
    network: opts.network ?? 'any', iface: opts.iface ?? null, comment: opts.comment ?? '',
    enabled: !opts.disabled, priority: opts.priority === undefined ? 100 : Number(opts.priority),
  };
  const v = validateRule(input);
  if (!v.ok) throw new UsageError(`rule refused: ${v.message}`);
  const preview = previewRule(input);
  if (opts.dryRun) return print(opts, { rule: v.value, nft: preview.ok ? preview.lines : [] }, preview.ok ? preview.lines.join('\n') : '');
  const id = withDb(opts, (db) => insertRule(db, v.value, now()));
  print(opts, { id, rule: v.value }, `added rule #${id} (the collector applies it within seconds)`);
}

function setDefault(opts: DefaultOpts): void {
  withDb(opts, (db) => {
    const cur = getFwApps(db).find((a) => a.appKey === opts.app);
    const quota = opts.quota === undefined ? cur?.quotaBytes ?? null : opts.quota === 'none' ? null : opts.quota;
    const v = validateAppPolicy({
      app: opts.app,
      defaultIn: opts.in ?? cur?.defaultIn ?? 'inherit',
      defaultOut: opts.out ?? cur?.defaultOut ?? 'inherit',
      quotaBytes: quota,
      quotaNetwork: opts.quotaNetwork ?? cur?.quotaNetwork ?? 'metered',
      quotaCycleDay: opts.cycleDay === undefined ? cur?.quotaCycleDay ?? 1 : Number(opts.cycleDay),
    });
    if (!v.ok) throw new UsageError(`settings refused: ${v.message}`);
    const id = upsertAppPolicy(db, v.value, now());
    print(opts, { id, ...v.value }, `settings of ${v.value.app} saved: default in ${v.value.defaultIn}, out ${v.value.defaultOut}`);
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
    if (!setRuleEnabled(db, id, enabled, now())) throw new UsageError(`there is no rule #${id}`);
    const r = getRule(db, id);
    print(opts, r ? ruleJson(r) : { id }, `rule #${id} ${enabled ? 'enabled' : 'disabled'}`);
  });
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

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
  common(
    rules
      .command('add')
      .description('add a rule, e.g. --app postgresql.service --direction in --action allow --remote 10.10.0.0/16')
      .requiredOption('--app <selector>', "app key (nginx.service, app:firefox, user:pipewire.service), cgroup path, or '*' for all other apps")
      .requiredOption('--direction <dir>', 'in | out | both')
      .requiredOption('--action <action>', 'allow | drop (deny) | reject | count')
      .option('--protocol <proto>', 'any | tcp | udp | icmp')
      .option('--remote <cidr>', 'remote address or CIDR, IPv4 or IPv6 (repeatable, or comma-separated)', collect)
      .option('--local-port <ports>', 'local port, range or list: 5432, 6000-6010, 80,443')
      .option('--remote-port <ports>', 'remote port, range or list')
      .option('--network <class>', 'any | metered | mobile')
      .option('--iface <name>', 'one named interface instead of a network class')
      .option('--comment <text>', `note, at most 200 characters`)
      .option('--priority <n>', 'lower runs first (0–1000, default 100)')
      .option('--disabled', 'store it switched off')
      .option('--dry-run', 'only validate and print the nft rules it would become'),
  ).action((o: AddOpts) => guard(() => addRule(o)));
  common(rules.command('remove <id>').description('delete a rule')).action((id: string, o: DbOpt) =>
    guard(() => {
      const n = parseId(id);
      withDb(o, (db) => {
        if (!deleteRule(db, n)) throw new UsageError(`there is no rule #${n}`);
      });
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
      .option('--cycle-day <day>', 'day of the month the billing cycle starts (1–28)'),
  ).action((o: DefaultOpts) => guard(() => setDefault(o)));
}
