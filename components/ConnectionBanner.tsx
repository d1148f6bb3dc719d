'use client';
import { useEffect, useState } from 'react';
import { formatDateTime } from '../lib/format';
import { unixSeconds } from '../lib/time';

type Health = { state: 'ok' } | { state: 'unreachable'; since: Date } | { state: 'stale'; lastPoll: number | null; demo: boolean };

/** offlineCopyTaken is when the service worker took this page's offline copy (unix s), or null for a page loaded live. */
function offlineCopyTaken(): number | null {
  const ms = Number(document.querySelector('meta[name="appnet-offline-copy"]')?.getAttribute('content'));
  return ms > 0 ? unixSeconds(ms) : null;
}

/**
 * ConnectionBanner registers the service worker and checks /api/status every 15 s. When the dashboard
 * cannot be reached it says whether the page is an offline copy (and when it was taken) or the data
 * this window loaded, and hides what would be stale (.live-only: "last poll just now"); only when the
 * dashboard answers and the collector stopped polling does it point at the collector.
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
  useEffect(() => {
    document.documentElement.classList.toggle('offline-copy', health.state === 'unreachable');
  }, [health.state]);
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
  const taken = offlineCopyTaken();
  return (
    <div className="banner error offline-banner" role="status" data-testid="offline-banner">
      {taken !== null ? (
        <>Offline copy of this page, taken {formatDateTime(taken)}: the dashboard cannot be reached, so the numbers and times are as of then.</>
      ) : (
        <>The dashboard cannot be reached: this page shows the data loaded at {formatDateTime(unixSeconds(performance.timeOrigin))}. It updates when the connection is back.</>
      )}
    </div>
  );
}
