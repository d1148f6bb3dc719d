/**
 * The dashboard API's answers, used by every route handler: JSON values with no caching,
 * and every failure in the one error shape `{ error: { code, message, fields } }`
 * (lib/api-error.ts, docs/api.md).
 */
import { apiErrorBody, type ApiErrorCode, type FieldErrors } from '../../lib/api-error';
import type { DbHandle } from './db';

const NO_STORE = { 'cache-control': 'no-store' };

/** apiError answers a failure in the one error shape. */
export function apiError(status: number, code: ApiErrorCode, message: string, fields: FieldErrors = {}): Response {
  return Response.json(apiErrorBody(code, message, fields), { status, headers: NO_STORE });
}

/** apiJson answers a value as JSON (never cached: it is the live state). */
export function apiJson(value: unknown, status = 200): Response {
  return Response.json(value, { status, headers: NO_STORE });
}

const CODE_OF_STATUS: Record<number, ApiErrorCode> = { 400: 'bad_request', 404: 'not_found', 409: 'conflict', 413: 'too_large', 500: 'internal', 503: 'unavailable' };

/** apiResult answers a data-layer result: its value with okStatus, or its failure in the error shape (code from the status). */
export function apiResult<T>(r: { ok: true; value: T } | { ok: false; status: number; message: string; fields: FieldErrors }, okStatus = 200): Response {
  return r.ok ? apiJson(r.value, okStatus) : apiError(r.status, CODE_OF_STATUS[r.status] ?? 'internal', r.message, r.fields);
}

/** storeError answers why the store cannot be read (503), or null when it can. */
export function storeError(store: DbHandle): Response | null {
  if (store.state === 'missing') return apiError(503, 'no_database', `The collector has not written any data yet: ${store.reason}`);
  if (store.state === 'empty') return apiError(503, 'no_database', `The database ${store.path} has no schema yet; start the collector.`);
  return null;
}

/** readJsonBody reads a JSON body, or answers (400) why it could not. */
export async function readJsonBody(req: Request): Promise<{ ok: true; body: unknown } | { ok: false; response: Response }> {
  try {
    return { ok: true, body: await req.json() };
  } catch {
    return { ok: false, response: apiError(400, 'bad_request', 'The request body must be JSON.', { _: ['the request body must be JSON'] }) };
  }
}

/** readId reads a numeric route parameter (a row id, negative ids included so a broken row can be removed), or answers 400. */
export function readId(raw: string, what: string): number | Response {
  const id = Number(raw);
  if (!/^-?\d{1,15}$/.test(raw) || !Number.isSafeInteger(id)) return apiError(400, 'bad_request', `'${raw.slice(0, 20)}' is not a ${what} id.`, { id: ['must be a whole number'] });
  return id;
}
