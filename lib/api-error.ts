/**
 * The dashboard API's one error shape, `{ error: { code, message, fields } }`, and the one
 * mapping of a zod validation failure onto it. Every route answers failures in this shape
 * (app/_data/api.ts), the rules' server actions return the same fields, and the CLI prints
 * the message.
 */
import { z } from 'zod';

/** Field name → what is wrong with it; `_` holds what is wrong with the request as a whole. */
export type FieldErrors = Record<string, string[]>;

export const API_ERROR_CODES = ['bad_request', 'not_found', 'conflict', 'too_large', 'no_database', 'unavailable', 'internal'] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** The body of every error answer of the dashboard API. */
export interface ApiError {
  error: { code: ApiErrorCode; message: string; fields: FieldErrors };
}

/** apiErrorBody builds the error body; fields default to none. */
export function apiErrorBody(code: ApiErrorCode, message: string, fields: FieldErrors = {}): ApiError {
  return { error: { code, message, fields } };
}

/** zodFields maps a validation failure to fields (z.flattenError); issues about the whole input go under `_`. */
export function zodFields(err: z.ZodError): FieldErrors {
  const flat = z.flattenError(err);
  const out: FieldErrors = {};
  for (const [k, msgs] of Object.entries(flat.fieldErrors as Record<string, string[] | undefined>)) if (msgs?.length) out[k] = msgs;
  if (flat.formErrors.length) out._ = flat.formErrors;
  return out;
}

/** fieldsSentence joins field errors into one line (each message names its field). */
export function fieldsSentence(fields: FieldErrors): string {
  return Object.values(fields).flat().join('; ');
}

/** apiErrorFromZod is the 400 body for a validation failure. */
export function apiErrorFromZod(err: z.ZodError): ApiError {
  const fields = zodFields(err);
  return apiErrorBody('bad_request', fieldsSentence(fields), fields);
}
