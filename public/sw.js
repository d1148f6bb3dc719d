// appnet service worker: keeps the app shell and the last data so the dashboard opens offline.
// Static assets: cache first. Pages, their RSC payloads and /api/usage: network first, falling back to
// the last copy (the page's banner then says the collector is unreachable, because /api/status fails).
const CACHE = 'appnet-v1';
const NEVER = ['/api/status', '/api/export.csv'];

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

async function networkFirst(req) {
  try {
    const res = await fetch(req);
    if (res.ok) (await caches.open(CACHE)).put(req, res.clone());
    return res;
  } catch (err) {
    const hit = (await caches.match(req)) || (req.mode === 'navigate' ? await caches.match('/') : undefined);
    if (hit) return hit;
    if (req.mode === 'navigate') {
      return new Response('<!doctype html><meta charset="utf-8"><title>appnet offline</title><p>appnet: the dashboard is unreachable and this page was never opened before.</p>', {
        status: 503,
        headers: { 'content-type': 'text/html; charset=utf-8' },
      });
    }
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
  event.respondWith(networkFirst(req));
});
