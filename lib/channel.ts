/**
 * The dashboard → collector write channel. The dashboard's account may read the store but
 * not write it (docs/security.md); every change it wants (rules, per-app defaults and caps,
 * network settings, the destinations switch and clearing) is one named operation sent over the collector's unix
 * socket, which re-validates the payload with the same zod schema before db/queries writes it. So is
 * the one thing it asks for that is not a change: which app's live connections it shows.
 *
 * To add a write: name it and give its payload and answer schemas in CHANNEL_OPS, add its
 * handler in collector/channel/handlers.ts, and call it with callCollector (app/_data/channel.ts).
 * Wire format: one JSON request line `{ v, op, payload }`, one JSON answer line, then close.
 */
import { z } from 'zod';
import { zodFields, type FieldErrors } from './api-error';
import { alertSettingsSchema } from './alerts';
import { appPolicyFields, appPolicySchema, rulePatchSchema, ruleSchema } from './rules/model';

/** CHANNEL_VERSION is bumped when a request or answer changes shape. */
export const CHANNEL_VERSION = 1;
/** CHANNEL_MAX_BYTES bounds one request line (and so what the collector reads per connection). */
export const CHANNEL_MAX_BYTES = 64 * 1024;
/** CHANNEL_TIMEOUT_MS bounds one round trip; the collector answers between polls. */
export const CHANNEL_TIMEOUT_MS = 10_000;

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
/** A stored rule's id: any whole number, so a row written by hand with a bad id can still be removed. */
const rowId = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);

/** networkSettingsSchema: a network's metered flag (null = automatic), billing-cycle day and plan. */
export const networkSettingsSchema = z.strictObject({
  id,
  meteredUser: z.boolean().nullable(),
  cycleStartDay: z.number().int().min(1, 'from 1').max(28, 'up to 28 (every month has it)'),
  planBytes: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).nullable(),
});
export type NetworkSettingsInput = z.input<typeof networkSettingsSchema>;

/** CHANNEL_OPS names every write the dashboard may ask for, with its payload and its answer. */
export const CHANNEL_OPS = {
  'rules.create': { payload: ruleSchema, value: z.strictObject({ id }) },
  'rules.update': { payload: z.strictObject({ id: rowId, patch: rulePatchSchema }), value: z.strictObject({ id: rowId }) },
  'rules.delete': { payload: z.strictObject({ id: rowId }), value: z.strictObject({ id: rowId }) },
  'apps.policy.save': { payload: appPolicySchema, value: z.strictObject({ app: z.string() }) },
  'apps.policy.remove': { payload: z.strictObject({ app: appPolicyFields.app }), value: z.strictObject({ app: z.string(), rulesKept: z.number().int().min(0) }) },
  'networks.settings.save': { payload: networkSettingsSchema, value: z.strictObject({ id }) },
  'alerts.settings.save': { payload: alertSettingsSchema, value: alertSettingsSchema },
  /** The global switch of destination history (the collector applies it at its next poll). */
  'destinations.setting.save': { payload: z.strictObject({ on: z.boolean() }), value: z.strictObject({ on: z.boolean() }) },
  /** Deleting all destination history and learned host names; answers how many rows were deleted. */
  'destinations.clear': { payload: z.strictObject({ confirm: z.literal(true) }), value: z.strictObject({ deleted: z.number().int().min(0) }) },
  // Not a write: the app page says it shows an app's live connections (collector/live.ts lists them while somebody looks).
  'live.watch': { payload: z.strictObject({ app: id }), value: z.strictObject({ available: z.boolean(), reason: z.string().nullable() }) },
} as const;

export type ChannelOp = keyof typeof CHANNEL_OPS;

/** Operations that change nothing in the store or the firewall: the collector does not re-plan its ruleset after them. */
export const CHANNEL_READS: ReadonlySet<ChannelOp> = new Set<ChannelOp>(['live.watch']);
/** What the dashboard sends for an operation (before validation). */
export type ChannelPayload<O extends ChannelOp> = z.input<(typeof CHANNEL_OPS)[O]['payload']>;
/** What the collector's handler gets (validated and canonical). */
export type ChannelParsed<O extends ChannelOp> = z.output<(typeof CHANNEL_OPS)[O]['payload']>;
/** What the operation answers on success. */
export type ChannelValue<O extends ChannelOp> = z.output<(typeof CHANNEL_OPS)[O]['value']>;

export type ChannelStatus = 400 | 404 | 409 | 413 | 500 | 503;
/** The answer to one request: the value, or an HTTP-like status with a sentence and field errors. */
export type ChannelResult<T> = { ok: true; value: T } | { ok: false; status: ChannelStatus; message: string; fields: FieldErrors };

/** The collector's side: one handler per operation, given the validated payload. */
export type ChannelHandlers = { [O in ChannelOp]: (payload: ChannelParsed<O>) => ChannelResult<ChannelValue<O>> };

const OP_NAMES = Object.keys(CHANNEL_OPS) as [ChannelOp, ...ChannelOp[]];
const requestSchema = z.strictObject({ v: z.literal(CHANNEL_VERSION), op: z.enum(OP_NAMES), payload: z.unknown() });

/** channelFailure builds a failed answer. */
export function channelFailure(status: ChannelStatus, message: string, fields: FieldErrors = {}): { ok: false; status: ChannelStatus; message: string; fields: FieldErrors } {
  return { ok: false, status, message, fields };
}

/** encodeRequest is the request line the dashboard sends. */
export function encodeRequest<O extends ChannelOp>(op: O, payload: ChannelPayload<O>): string {
  return `${JSON.stringify({ v: CHANNEL_VERSION, op, payload })}\n`;
}

/**
 * handleChannelRequest validates one request line (envelope, then the operation's payload
 * schema) and runs its handler; any failure is an answer, never an exception. `done` hears
 * which operation succeeded.
 */
export function handleChannelRequest(line: string, handlers: ChannelHandlers, done?: (op: ChannelOp) => void): ChannelResult<unknown> {
  if (line.length > CHANNEL_MAX_BYTES) return channelFailure(413, `A request may be at most ${CHANNEL_MAX_BYTES} bytes.`);
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return channelFailure(400, 'The request is not JSON.');
  }
  const req = requestSchema.safeParse(raw);
  if (!req.success) return channelFailure(400, `Not a request this collector understands (version ${CHANNEL_VERSION}): ${req.error.issues.map((i) => i.message).join('; ')}`);
  const op = req.data.op;
  const payload = CHANNEL_OPS[op].payload.safeParse(req.data.payload);
  if (!payload.success) {
    const fields = zodFields(payload.error);
    return channelFailure(400, Object.values(fields).flat().join('; '), fields);
  }
  const handler = handlers[op] as (p: unknown) => ChannelResult<unknown>;
  const r = handler(payload.data);
  if (r.ok) done?.(op);
  return r;
}

/** parseAnswer checks the collector's answer line against the operation's answer schema. */
export function parseAnswer<O extends ChannelOp>(op: O, line: string): ChannelResult<ChannelValue<O>> {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return channelFailure(500, 'The collector answered something that is not JSON.');
  }
  const shape = z.union([
    z.strictObject({ ok: z.literal(true), value: CHANNEL_OPS[op].value }),
    z.strictObject({ ok: z.literal(false), status: z.union([z.literal(400), z.literal(404), z.literal(409), z.literal(413), z.literal(500), z.literal(503)]), message: z.string(), fields: z.record(z.string(), z.array(z.string())) }),
  ]);
  const r = shape.safeParse(raw);
  if (!r.success) return channelFailure(500, `The collector's answer to ${op} has an unexpected shape.`);
  return r.data as ChannelResult<ChannelValue<O>>;
}

/** controlSocketPath is where the collector that owns a store listens: next to it, in the store's directory. */
export function controlSocketPath(dbPath: string): string {
  return `${dbPath}.sock`;
}
