// TODO(security engineer): placeholder so dashboard routes can call the real checks; replace with
// the token/session implementation. Both functions currently allow every request.

/** requireApiAuth returns a 401/403 Response to send back, or null when the request may proceed. */
export async function requireApiAuth(_req: Request): Promise<Response | null> {
  return null;
}

/** requirePageAuth redirects or throws when the visitor may not see dashboard pages. */
export async function requirePageAuth(): Promise<void> {
  return;
}
