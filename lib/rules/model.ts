/**
 * The firewall rule model and its validation. The same schemas check a rule where a
 * person types it (dashboard, API, CLI) and again in the collector right before it
 * becomes nft text, so a row edited behind our back cannot inject anything.
 */
import { z } from 'zod';
import { isIfname } from '../nft/names';
import { isAppSelector, parseBytes, parsePorts, parseRemote, type PortRange } from './values';

// The rule form validates in the browser too, under a CSP without 'unsafe-eval': zod's JIT
// probes `new Function` and Chromium reports that probe as a CSP violation (docs/security.md).
z.config({ jitless: true });

export const DIRECTIONS = ['in', 'out', 'both'] as const;
export const ACTIONS = ['allow', 'drop', 'reject', 'count'] as const;
export const PROTOCOLS = ['any', 'tcp', 'udp', 'icmp'] as const;
export const NETWORKS = ['any', 'metered', 'mobile'] as const;
export const POLICIES = ['inherit', 'allow', 'drop', 'reject'] as const;

export type Direction = (typeof DIRECTIONS)[number];
export type Action = (typeof ACTIONS)[number];
export type Protocol = (typeof PROTOCOLS)[number];
export type NetworkClass = (typeof NETWORKS)[number];
export type Policy = (typeof POLICIES)[number];

export const COMMENT_MAX = 200;
export const PRIORITY_DEFAULT = 100;

/** A validated rule: every field canonical and safe to render. */
export interface Rule {
  app: string;
  direction: Direction;
  action: Action;
  protocol: Protocol;
  remoteV4: string[];
  remoteV6: string[];
  localPorts: PortRange[];
  remotePorts: PortRange[];
  /** Network class, or 'iface' for one named interface. */
  network: NetworkClass | 'iface';
  iface: string | null;
  comment: string;
  enabled: boolean;
  /** Lower runs first; ties go to the older rule. */
  priority: number;
}

const enumOf = <T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z.enum(values, { error: (iss) => `${what} must be one of ${values.join(', ')}, got '${String(iss.input).slice(0, 40)}'` });

const text = (what: string) => z.string({ error: `${what} must be text` });
const listish = z.union([z.string(), z.array(z.string())]);
const portish = z.union([z.string(), z.number()]);

/** commentOk allows letters, digits, spaces and plain punctuation: no quotes, backslashes or control characters. */
function commentOk(s: string): boolean {
  return /^[\p{L}\p{N} _.,:()\/+#@!?%&=-]*$/u.test(s);
}

const ruleFields = {
  app: text('app').trim().refine(isAppSelector, 'app must be an app key (nginx.service, app:firefox), a cgroup path, or * for all other apps'),
  direction: enumOf(DIRECTIONS, 'direction'),
  action: z.preprocess((v) => (v === 'deny' ? 'drop' : v), enumOf(ACTIONS, 'action')),
  protocol: enumOf(PROTOCOLS, 'protocol').default('any'),
  remote: listish.optional().nullable().superRefine((v, ctx) => {
    const r = parseRemote(v);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: `remote: ${r.error}` });
  }),
  localPort: portish.optional().nullable().superRefine((v, ctx) => {
    const r = parsePorts(v);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: `local port: ${r.error}` });
  }),
  remotePort: portish.optional().nullable().superRefine((v, ctx) => {
    const r = parsePorts(v);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: `remote port: ${r.error}` });
  }),
  network: enumOf(NETWORKS, 'network').default('any'),
  iface: text('interface')
    .trim()
    .refine((v) => v === '' || isIfname(v), { error: (iss) => `interface '${String(iss.input).slice(0, 40)}' is not a valid interface name` })
    .optional()
    .nullable(),
  comment: text('comment')
    .max(COMMENT_MAX, `comment must be at most ${COMMENT_MAX} characters`)
    .refine(commentOk, 'comment may hold letters, digits, spaces and . , : ( ) / + # @ ! ? % & = - only')
    .default(''),
  enabled: z.boolean({ error: 'enabled must be true or false' }).default(true),
  priority: z.number({ error: 'priority must be a number' }).int('priority must be a whole number').min(0, 'priority must be 0–1000').max(1000, 'priority must be 0–1000').default(PRIORITY_DEFAULT),
};

/** ruleInputSchema is what the dashboard, the API and the CLI send; ruleSchema turns it into a Rule. */
export const ruleInputSchema = z.strictObject(ruleFields);
export type RuleInput = z.input<typeof ruleInputSchema>;

/** ruleSchema validates and canonicalises a rule; its issues carry the field name as path. */
export const ruleSchema = ruleInputSchema.transform((r, ctx): Rule => {
  // Field checks above already refused bad values; these parses cannot fail here.
  const remote = parseRemote(r.remote);
  const local = parsePorts(r.localPort);
  const rport = parsePorts(r.remotePort);
  const iface = r.iface ? r.iface : null;
  if (iface !== null && r.network !== 'any') ctx.addIssue({ code: 'custom', path: ['iface'], message: 'choose either a network class or one interface, not both' });
  const hasPorts = (local.ok && local.value.length > 0) || (rport.ok && rport.value.length > 0);
  if (hasPorts && r.protocol === 'icmp') ctx.addIssue({ code: 'custom', path: ['protocol'], message: 'ICMP has no ports: remove the ports or pick tcp/udp' });
  return {
    app: r.app,
    direction: r.direction,
    action: r.action,
    protocol: r.protocol,
    remoteV4: remote.ok ? remote.value.v4 : [],
    remoteV6: remote.ok ? remote.value.v6 : [],
    localPorts: local.ok ? local.value : [],
    remotePorts: rport.ok ? rport.value : [],
    network: iface !== null ? 'iface' : r.network,
    iface,
    comment: r.comment,
    enabled: r.enabled,
    priority: r.priority,
  };
});

/** rulePatchSchema is a partial rule for PATCH; the merged result is checked with ruleSchema. */
export const rulePatchSchema = z.strictObject(ruleFields).partial();

/** Per-app settings: default policy per direction and an optional data cap. */
export interface AppPolicy {
  app: string;
  defaultIn: Policy;
  defaultOut: Policy;
  quotaBytes: number | null;
  quotaNetwork: NetworkClass;
  /** Day of the month (1–28) the billing cycle starts. */
  quotaCycleDay: number;
}

/** appPolicySchema validates per-app settings; quotaBytes accepts 2147483648 or '2GiB'. */
export const appPolicySchema = z
  .strictObject({
    app: ruleFields.app,
    defaultIn: enumOf(POLICIES, 'default inbound policy').default('inherit'),
    defaultOut: enumOf(POLICIES, 'default outbound policy').default('inherit'),
    quotaBytes: z.union([z.number(), z.string()]).optional().nullable(),
    quotaNetwork: enumOf(NETWORKS, 'quota network').default('metered'),
    quotaCycleDay: z.number({ error: 'cycle day must be a number' }).int().min(1, 'cycle day must be 1–28').max(28, 'cycle day must be 1–28').default(1),
  })
  .transform((p, ctx): AppPolicy => {
    let quotaBytes: number | null = null;
    if (p.quotaBytes !== undefined && p.quotaBytes !== null && p.quotaBytes !== '') {
      const b = parseBytes(p.quotaBytes);
      if (b.ok) quotaBytes = b.value;
      else ctx.addIssue({ code: 'custom', path: ['quotaBytes'], message: `quota: ${b.error}` });
    }
    return { app: p.app, defaultIn: p.defaultIn, defaultOut: p.defaultOut, quotaBytes, quotaNetwork: p.quotaNetwork, quotaCycleDay: p.quotaCycleDay };
  });
export type AppPolicyInput = z.input<typeof appPolicySchema>;

export type FieldErrors = Record<string, string[]>;

/** fieldErrors turns a ZodError into { field: [sentences] } for 400 answers and forms. */
export function fieldErrors(err: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const iss of err.issues) {
    const key = iss.path.length ? String(iss.path[0]) : 'body';
    const msg = iss.code === 'unrecognized_keys' ? `unknown field(s): ${iss.keys.join(', ')}` : iss.message;
    (out[key] ??= []).push(msg);
  }
  return out;
}

/** errorSentence joins field errors into one line for the CLI and the collector's status. */
export function errorSentence(errors: FieldErrors): string {
  return Object.values(errors).flat().join('; ');
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors; message: string };

/** validateRule checks an untrusted rule, returning the canonical rule or field errors. */
export function validateRule(input: unknown): Validated<Rule> {
  const r = ruleSchema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  const errors = fieldErrors(r.error);
  return { ok: false, errors, message: errorSentence(errors) };
}

/** validateAppPolicy checks untrusted per-app settings. */
export function validateAppPolicy(input: unknown): Validated<AppPolicy> {
  const r = appPolicySchema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  const errors = fieldErrors(r.error);
  return { ok: false, errors, message: errorSentence(errors) };
}

/** ruleToInput turns a validated rule back into its input form (for storage and editing). */
export function ruleToInput(r: Rule): RuleInput {
  const ports = (p: PortRange[]) => (p.length ? p.map((x) => (x.from === x.to ? `${x.from}` : `${x.from}-${x.to}`)).join(',') : null);
  return {
    app: r.app,
    direction: r.direction,
    action: r.action,
    protocol: r.protocol,
    remote: [...r.remoteV4, ...r.remoteV6].join(',') || null,
    localPort: ports(r.localPorts),
    remotePort: ports(r.remotePorts),
    network: r.network === 'iface' ? 'any' : r.network,
    iface: r.iface,
    comment: r.comment,
    enabled: r.enabled,
    priority: r.priority,
  };
}

/**
 * PRECEDENCE says, in order, how a packet is decided; the dashboard and `appnet rules
 * list` show it so nobody has to guess.
 */
export const PRECEDENCE: readonly string[] = [
  'A packet belongs to the app of its socket\'s cgroup; the deepest cgroup with rules of its own wins (so a service\'s rules cover every process and restart of it).',
  'Within that app: a data cap that is used up blocks first; then "count" rules count; then replies to connections already allowed pass.',
  'Then the app\'s allow/drop/reject rules, lowest priority number first (ties: oldest rule first); the first match decides. "in" means connections from outside, "out" connections the app opens.',
  'No match: the app\'s default for that direction; "inherit" hands the packet to the rules for all other apps (*).',
  'No match there either, or no socket at all (forwarded, kernel-generated): the packet passes.',
];
