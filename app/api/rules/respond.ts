/** One response shape for the rules API: the value, or { error, fields } with the status. */
import type { WriteResult } from '../../_data/rules';

const NO_STORE = { 'cache-control': 'no-store' };

/** respond turns a write result into a JSON Response (201 for created values). */
export function respond<T>(r: WriteResult<T>, okStatus = 200): Response {
  if (r.ok) return Response.json(r.value, { status: okStatus, headers: NO_STORE });
  return Response.json({ error: r.message, fields: r.fields }, { status: r.status, headers: NO_STORE });
}

/** readJson reads a JSON body or says, as a 400, why it could not. */
export async function readJson(req: Request): Promise<{ ok: true; body: unknown } | { ok: false; response: Response }> {
  try {
    return { ok: true, body: await req.json() };
  } catch {
    return { ok: false, response: Response.json({ error: 'The request body must be JSON.', fields: { body: ['not valid JSON'] } }, { status: 400, headers: NO_STORE }) };
  }
}

/** parseRuleId reads the numeric id from the route, or a 400. */
export function parseRuleId(raw: string): number | Response {
  const id = Number(raw);
  if (!/^\d{1,15}$/.test(raw) || !Number.isSafeInteger(id) || id < 1) {
    return Response.json({ error: `'${raw.slice(0, 20)}' is not a rule id.`, fields: { id: ['must be a positive whole number'] } }, { status: 400, headers: NO_STORE });
  }
  return id;
}
