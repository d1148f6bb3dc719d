/**
 * The firewall rule model: one zod schema per field, and every shape a rule takes derived
 * from it. A validated Rule is the canonical text form (ranges merged, CIDRs reduced), so
 * it is at once what the store holds, what the API returns, what a form edits (as text)
 * and what the collector re-validates right before it becomes nft text. Adding a field is
 * a change here (schema + help), in the migration, in the nft builder and in the form.
 */
import { z } from 'zod';
import { fieldsSentence, zodFields, type FieldErrors } from '../api-error';
import { isIfname } from '../nft/names';
import { isAppSelector, parseBytes, parsePorts, parseRemote, portsText, remoteText } from './values';
import { ACTIONS, DIRECTIONS, NETWORKS, POLICIES, PROTOCOLS, type NetworkClass, type Policy } from './vocabulary';

// The rule form validates in the browser too, under a CSP without 'unsafe-eval': zod's JIT
// probes `new Function` and Chromium reports that probe as a CSP violation (docs/security.md).
z.config({ jitless: true });

export { type FieldErrors };
export const COMMENT_MAX = 200;
export const PRIORITY_DEFAULT = 100;

const enumOf = <T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z.enum(values, { error: (iss) => `${what} must be one of ${values.join(', ')}, got '${String(iss.input).slice(0, 40)}'` });
const text = (what: string) => z.string({ error: `${what} must be text` });
/** Form fields arrive as text, and an empty one means "not given". */
const blankToNull = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? null : v);
const numeric = (v: unknown) => (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v);
const unknownKeys = { error: (iss: { code?: string; keys?: string[] }) => (iss.code === 'unrecognized_keys' ? `unknown field(s): ${(iss.keys ?? []).join(', ')}` : undefined) };

/** commentOk allows letters, digits, spaces and plain punctuation: no quotes, backslashes or control characters. */
function commentOk(s: string): boolean {
  return /^[\p{L}\p{N} _.,:()\/+#@!?%&=-]*$/u.test(s);
}

const portsField = (what: string) =>
  z.preprocess(blankToNull, z.union([z.string(), z.number()]).nullish()).transform((v, ctx) => {
    const r = parsePorts(v);
    if (r.ok) return portsText(r.value) || null;
    ctx.addIssue({ code: 'custom', message: `${what}: ${r.error}` });
    return z.NEVER;
  });

const appField = text('app').trim().refine(isAppSelector, 'app must be an app key (nginx.service, app:firefox), a cgroup path, or * for all other apps');

/** ruleFields is the one schema of a rule, field by field: input (JSON or form text) → canonical value. */
export const ruleFields = {
  app: appField,
  direction: enumOf(DIRECTIONS, 'direction'),
  action: z.preprocess((v) => (v === 'deny' ? 'drop' : v), enumOf(ACTIONS, 'action')),
  protocol: enumOf(PROTOCOLS, 'protocol').default('any'),
  remote: z.preprocess(blankToNull, z.union([z.string(), z.array(z.string())]).nullish()).transform((v, ctx) => {
    const r = parseRemote(v);
    if (r.ok) return remoteText(r.value) || null;
    ctx.addIssue({ code: 'custom', message: `remote: ${r.error}` });
    return z.NEVER;
  }),
  localPort: portsField('local port'),
  remotePort: portsField('remote port'),
  network: enumOf(NETWORKS, 'network').default('any'),
  iface: z
    .preprocess(blankToNull, text('interface').trim().refine(isIfname, { error: (iss) => `interface '${String(iss.input).slice(0, 40)}' is not a valid interface name` }).nullish())
    .transform((v) => v ?? null),
  comment: text('comment')
    .max(COMMENT_MAX, `comment must be at most ${COMMENT_MAX} characters`)
    .refine(commentOk, 'comment may hold letters, digits, spaces and . , : ( ) / + # @ ! ? % & = - only')
    .default(''),
  enabled: z.boolean({ error: 'enabled must be true or false' }).default(true),
  priority: z
    .preprocess(numeric, z.number({ error: 'priority must be a number' }).int('priority must be a whole number').min(0, 'priority must be 0–1000').max(1000, 'priority must be 0–1000'))
    .default(PRIORITY_DEFAULT),
};

export type RuleKey = keyof typeof ruleFields;
export const RULE_KEYS = Object.keys(ruleFields) as RuleKey[];

/** RULE_HELP says what each field takes (`appnet rules add --help`, docs/api.md); typed over the schema's keys, so a new field must say it. */
export const RULE_HELP: Record<RuleKey, string> = {
  app: "app key (nginx.service, app:firefox, user:pipewire.service), cgroup path, or '*' for all other apps",
  direction: 'in | out | both',
  action: 'allow | drop (alias deny) | reject | count',
  protocol: 'any | tcp | udp | icmp (default any)',
  remote: 'remote addresses or CIDRs, IPv4 (four decimal numbers) or IPv6; comma-separated or repeated (default anywhere)',
  localPort: 'local port, range or list: 5432, 6000-6010, 80,443 (default any)',
  remotePort: 'remote port, range or list (default any)',
  network: 'any | metered | mobile (default any)',
  iface: 'one named interface instead of a network class',
  comment: `note, at most ${COMMENT_MAX} characters`,
  enabled: 'false stores the rule switched off (default true)',
  priority: `lower runs first, 0–1000 (default ${PRIORITY_DEFAULT})`,
};

/** ruleInputSchema is what the dashboard, the API and the CLI send. */
export const ruleInputSchema = z.strictObject(ruleFields, unknownKeys);
export type RuleInput = z.input<typeof ruleInputSchema>;

/** ruleSchema validates and canonicalises a rule; its issues carry the field name as path. */
export const ruleSchema = ruleInputSchema.superRefine((r, ctx) => {
  if (r.iface !== null && r.network !== 'any') ctx.addIssue({ code: 'custom', path: ['iface'], message: 'choose either a network class or one interface, not both' });
  if ((r.localPort !== null || r.remotePort !== null) && r.protocol === 'icmp') ctx.addIssue({ code: 'custom', path: ['protocol'], message: 'ICMP has no ports: remove the ports or pick tcp/udp' });
});

/** A validated rule: every field canonical and safe to render; also its stored and API form. */
export type Rule = z.output<typeof ruleSchema>;

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors; message: string };

function validated<T>(r: z.ZodSafeParseResult<T>): Validated<T> {
  if (r.success) return { ok: true, value: r.data };
  const errors = zodFields(r.error);
  return { ok: false, errors, message: fieldsSentence(errors) };
}

/** validateRule checks an untrusted rule, returning the canonical rule or field errors. */
export function validateRule(input: unknown): Validated<Rule> {
  return validated(ruleSchema.safeParse(input));
}

/**
 * rulePatchSchema names the fields a partial change (PATCH) may carry; their values are
 * checked when the change is merged into the stored rule (mergeRulePatch), so a field left
 * out keeps its value instead of taking its default.
 */
export const rulePatchSchema = z.strictObject(Object.fromEntries(RULE_KEYS.map((k) => [k, z.unknown()])) as Record<RuleKey, z.ZodUnknown>, unknownKeys).partial();

/** mergeRulePatch applies a partial change (PATCH) to a stored rule and validates the whole. */
export function mergeRulePatch(current: Rule, patch: unknown): Validated<Rule> {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return { ok: false, errors: { _: ['the change must be an object of rule fields'] }, message: 'the change must be an object of rule fields' };
  return validateRule({ ...current, ...patch });
}

/** pickRule copies a rule's fields out of a larger object (a stored row, a view). */
export function pickRule(o: Rule): Rule {
  return Object.fromEntries(RULE_KEYS.map((k) => [k, o[k]])) as Rule;
}

const quotaField = z.preprocess(blankToNull, z.union([z.number(), z.string()]).nullish()).transform((v, ctx) => {
  if (v === null || v === undefined) return null;
  const b = parseBytes(v);
  if (b.ok) return b.value;
  ctx.addIssue({ code: 'custom', message: `data cap: ${b.error}` });
  return z.NEVER;
});

/** appPolicyFields: an app's default per direction and an optional data cap per billing cycle. */
export const appPolicyFields = {
  app: appField,
  defaultIn: enumOf(POLICIES, 'default inbound policy').default('inherit'),
  defaultOut: enumOf(POLICIES, 'default outbound policy').default('inherit'),
  /** 2147483648 or '2GiB'; empty or null: no cap. */
  quotaBytes: quotaField,
  quotaNetwork: enumOf(NETWORKS, 'cap network').default('metered'),
  /** Day of the month (1–28) the billing cycle starts. */
  quotaCycleDay: z
    .preprocess(numeric, z.number({ error: 'cycle day must be a number' }).int('cycle day must be a whole number').min(1, 'cycle day must be 1–28').max(28, 'cycle day must be 1–28'))
    .default(1),
};

/** appPolicySchema validates per-app settings. */
export const appPolicySchema = z.strictObject(appPolicyFields, unknownKeys);
export type AppPolicy = z.output<typeof appPolicySchema>;
export type { NetworkClass, Policy };

/** validateAppPolicy checks untrusted per-app settings. */
export function validateAppPolicy(input: unknown): Validated<AppPolicy> {
  return validated(appPolicySchema.safeParse(input));
}

/** isDefaultPolicy: settings that say nothing (inherit both ways, no cap) — the row only anchors the app's rules. */
export function isDefaultPolicy(p: Pick<AppPolicy, 'defaultIn' | 'defaultOut' | 'quotaBytes'>): boolean {
  return p.defaultIn === 'inherit' && p.defaultOut === 'inherit' && p.quotaBytes === null;
}
