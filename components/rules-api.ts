/** Browser-side calls to the rules API; every answer is { value } or { error, fields }. */
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: string; fields: Record<string, string[]> };

/** callRulesApi sends JSON to /api/rules… and returns the value or the server's error sentence and field errors. */
export async function callRulesApi<T>(path: string, method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', body?: unknown): Promise<ApiResult<T>> {
  try {
    const res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let data: unknown = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (res.ok) return { ok: true, value: data as T };
    const e = (data ?? {}) as { error?: string; fields?: Record<string, string[]> };
    return { ok: false, error: e.error ?? `${res.status} ${text.trim().slice(0, 120)}`, fields: e.fields ?? {} };
  } catch (err) {
    return { ok: false, error: `The dashboard could not reach its server: ${err instanceof Error ? err.message : String(err)}`, fields: {} };
  }
}
