// appnet service worker: keeps the app shell and the pages visited, so the dashboard opens offline and
// says what it shows. Static assets: cache first. Pages: network first; offline, a page visited before is
// served as an offline copy (a meta tag carries when it was taken, and ConnectionBanner says so), and a
// page never visited gets a page saying it is not available offline — never another page's copy.
// Client-side navigations (RSC payloads) are not served from the cache: offline, the router falls back
// to a full page load, which gets one of the two answers above.
const CACHE = 'appnet-v2';
const NEVER = ['/api/status', '/api/export.csv', '/api/live', '/login', '/logout'];
const TAKEN = 'x-appnet-cached-at';

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(['/manifest.webmanifest', '/icons/icon-192.png'])).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k)))).then(() => self.clients.claim()),
  );
});

async function cacheFirst(req) {
  const hit = await caches.match(req);
  if (hit) return hit;
  const res = await fetch(req);
  if (res.ok) (await caches.open(CACHE)).put(req, res.clone());
  return res;
}

/** stamped copies a response with the time it was taken (ms), for the cache. */
async function stamped(res) {
  const headers = new Headers(res.headers);
  headers.set(TAKEN, String(Date.now()));
  return new Response(await res.blob(), { status: res.status, statusText: res.statusText, headers });
}

/** offlineCopy serves a cached page with a meta tag saying when it was taken. */
async function offlineCopy(hit) {
  const html = await hit.text();
  const meta = `<meta name="appnet-offline-copy" content="${Number(hit.headers.get(TAKEN)) || 0}">`;
  const headers = new Headers(hit.headers);
  headers.delete('content-length');
  return new Response(html.replace(/<head>/i, `<head>${meta}`), { status: 200, headers });
}

const esc = (s) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** notOffline is the answer for a page never visited: it says so, in the dashboard's colours, light or dark. */
function notOffline(url, hasOverview) {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Not available offline · appnet</title>
<style>:root{color-scheme:light dark;font-family:system-ui,sans-serif;background:#f6f7f9;color:#1b1f24}a{color:#1d4ed8}
@media (prefers-color-scheme:dark){:root{background:#0f1216;color:#e6e9ed}a{color:#8ab4ff}}main{max-width:40rem;margin:3rem auto;padding:0 1rem}</style></head>
<body><main><h1>Not available offline</h1>
<p data-testid="not-offline">The dashboard cannot be reached, and <code>${esc(url.pathname + url.search)}</code> was not opened while it could, so there is no offline copy of it.</p>
${hasOverview ? '<p><a href="/">Open the offline copy of the overview</a></p>' : ''}</main></body></html>`;
  return new Response(body, { status: 503, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } });
}

const PAGES_KEPT = 40;
const isAsset = (u) => u.pathname.startsWith('/_next/') || u.pathname.startsWith('/icons/') || u.pathname === '/manifest.webmanifest';

/** keepPage stores a page's copy and drops the oldest copies beyond PAGES_KEPT (every period and filter is a URL of its own). */
async function keepPage(req, res) {
  const cache = await caches.open(CACHE);
  await cache.delete(req);
  await cache.put(req, res);
  const pages = (await cache.keys()).filter((r) => !isAsset(new URL(r.url)));
  await Promise.all(pages.slice(0, Math.max(0, pages.length - PAGES_KEPT)).map((r) => cache.delete(r)));
}

async function page(req) {
  try {
    const res = await fetch(req);
    if (res.ok && res.headers.get('content-type')?.includes('text/html')) await keepPage(req, await stamped(res.clone()));
    return res;
  } catch {
    const hit = await caches.match(req);
    if (hit) return offlineCopy(hit);
    return notOffline(new URL(req.url), Boolean(await caches.match(new URL('/', req.url).href)));
  }
}

async function networkFirst(req) {
  try {
    const res = await fetch(req);
    if (res.ok) (await caches.open(CACHE)).put(req, res.clone());
    return res;
  } catch (err) {
    const hit = await caches.match(req);
    if (hit) return hit;
    throw err;
  }
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (NEVER.some((p) => url.pathname.startsWith(p))) return;
  if (url.pathname.startsWith('/_next/static/') || url.pathname.startsWith('/icons/')) {
    event.respondWith(cacheFirst(req));
    return;
  }
  if (req.mode === 'navigate') {
    event.respondWith(page(req));
    return;
  }
  // RSC payloads of client-side navigations: straight to the network (see the top).
  if (req.headers.get('RSC') || url.searchParams.has('_rsc')) return;
  event.respondWith(networkFirst(req));
});
