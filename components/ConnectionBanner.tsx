'use client';
import { useEffect, useState } from 'react';
import { formatDateTime } from '../lib/format';

type Health = { state: 'ok' } | { state: 'unreachable'; since: Date } | { state: 'stale'; lastPoll: number | null; demo: boolean };

/**
 * ConnectionBanner registers the service worker and checks /api/status every 15 s: when the dashboard
 * cannot be reached (the page came from the offline cache) or the collector stopped polling, it says so.
 */
export function ConnectionBanner() {
  const [health, setHealth] = useState<Health>({ state: 'ok' });
  useEffect(() => {
    if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => undefined);
    let alive = true;
    const check = async () => {
      try {
        const r = await fetch('/api/status', { cache: 'no-store' });
        if (!r.ok) throw new Error(String(r.status));
        const body = (await r.json()) as { db: string; collector: { stale: boolean; lastPoll: number | null } | null; demo?: boolean };
        if (!alive) return;
        setHealth(body.collector && body.collector.stale ? { state: 'stale', lastPoll: body.collector.lastPoll, demo: body.demo === true } : { state: 'ok' });
      } catch {
        if (alive) setHealth((h) => (h.state === 'unreachable' ? h : { state: 'unreachable', since: new Date() }));
      }
    };
    void check();
    const id = setInterval(check, 15000);
    window.addEventListener('online', check);
    window.addEventListener('offline', check);
    return () => {
      alive = false;
      clearInterval(id);
      window.removeEventListener('online', check);
      window.removeEventListener('offline', check);
    };
  }, []);
  if (health.state === 'ok') return null;
  if (health.state === 'stale') {
    const when = health.lastPoll ? formatDateTime(health.lastPoll) : 'never';
    if (health.demo) {
      return (
        <div className="banner offline-banner" role="status" data-testid="collector-banner">
          The demo’s collector is not running — the numbers stop at its last poll ({when}). Run <code>appnet demo --serve</code> again for live traffic.
        </div>
      );
    }
    return (
      <div className="banner offline-banner" role="status" data-testid="collector-banner">
        The collector is not running — the numbers stop at its last poll ({when}). Start it with <code>appnet start</code>.
      </div>
    );
  }
  return (
    <div className="banner error offline-banner" role="status" data-testid="collector-banner">
      Collector unreachable — showing the last data this window loaded. It will update when the connection is back.
    </div>
  );
}
