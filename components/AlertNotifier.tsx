'use client';
import { useEffect, useState } from 'react';
import type { Alert } from '../lib/alerts';
import { ALERT_TITLES } from '../lib/alert-kinds';

const SEEN_KEY = 'appnet.alerts.seen';
const EVERY_MS = 15_000;

/**
 * AlertNotifier passes alerts recorded while the dashboard is open to the Notification API
 * (once permission is granted: see NotificationToggle). It asks GET /api/alerts for those after
 * the last one it saw; the first ask only learns the newest id, so opening the dashboard does
 * not replay old alerts. The id is kept per browser, so two open tabs notify once.
 */
export function AlertNotifier() {
  useEffect(() => {
    if (typeof Notification === 'undefined') return;
    let stopped = false;
    const check = async () => {
      try {
        const seen = localStorage.getItem(SEEN_KEY);
        const res = await fetch(seen === null ? '/api/alerts' : `/api/alerts?after=${encodeURIComponent(seen)}`, { cache: 'no-store' });
        if (!res.ok || stopped) return;
        const body = (await res.json()) as { lastId: number; alerts: Alert[] };
        const now = localStorage.getItem(SEEN_KEY);
        if (now !== seen) return; // another tab got there first
        let last = seen === null ? body.lastId : Number(seen);
        for (const a of body.alerts) {
          if (Notification.permission === 'granted') new Notification(ALERT_TITLES[a.kind], { body: a.message, tag: `appnet-alert-${a.id}` });
          last = Math.max(last, a.id);
        }
        localStorage.setItem(SEEN_KEY, String(last));
      } catch {
        /* offline or signed out: try again later */
      }
    };
    void check();
    const t = setInterval(() => void check(), EVERY_MS);
    return () => {
      stopped = true;
      clearInterval(t);
    };
  }, []);
  return null;
}

/** NotificationToggle asks for permission to show alerts as notifications (it needs a click), and says what was decided. */
export function NotificationToggle() {
  const [perm, setPerm] = useState<NotificationPermission | 'unsupported' | null>(null);
  useEffect(() => setPerm(typeof Notification === 'undefined' ? 'unsupported' : Notification.permission), []);
  if (perm === null) return null;
  if (perm === 'unsupported') return <p className="muted small">This browser cannot show notifications; alerts are listed here.</p>;
  if (perm === 'granted') return <p className="muted small" data-testid="notifications-on">Notifications are on while the dashboard is open.</p>;
  if (perm === 'denied') return <p className="muted small">Notifications are blocked for this site in the browser’s settings; alerts are listed here.</p>;
  return (
    <button type="button" className="secondary" data-testid="notifications-enable" onClick={() => void Notification.requestPermission().then(setPerm)}>
      Show alerts as notifications
    </button>
  );
}
