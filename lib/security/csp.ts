/**
 * contentSecurityPolicy builds the dashboard's CSP for one response. Scripts run only from
 * our origin or with this response's nonce (Next.js reads the nonce from the request's
 * CSP header and stamps it on its inline flight-data scripts); no eval, no plugins,
 * no framing, no foreign connections, forms post only to ourselves.
 */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'`,
    `style-src 'self' 'nonce-${nonce}'`,
    // React renders style={{…}} props as style attributes in server HTML (charts, layout).
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "frame-src 'none'",
    "worker-src 'self'",
    "manifest-src 'self'",
  ].join('; ');
}

/** SECURITY_HEADERS go on every response, errors included. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  // same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` with the
  // dashboard's own form posts (sign-in, sign-out), which the CSRF check must refuse. Other
  // origins still get no Referer at all.
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), payment=()',
};
