'use client';
import { useRouter } from 'next/navigation';
import { useEffect } from 'react';

const FAST_MS = 1000;
const SLOW_MS = 5000;
const FAST_FOR_MS = 60_000;

/**
 * RulesStatusRefresh re-reads the page (no full reload) while a rule or setting is still
 * pending, so its status turns to "applied" or to the error by itself: every second for
 * the first minute, then every five (the collector may be stopped).
 */
export function RulesStatusRefresh({ pending }: { pending: boolean }) {
  const router = useRouter();
  useEffect(() => {
    if (!pending) return;
    const started = Date.now();
    let timer: ReturnType<typeof setTimeout>;
    const tick = () => {
      if (document.visibilityState === 'visible') router.refresh();
      timer = setTimeout(tick, Date.now() - started < FAST_FOR_MS ? FAST_MS : SLOW_MS);
    };
    timer = setTimeout(tick, FAST_MS);
    return () => clearTimeout(timer);
  }, [router, pending]);
  return null;
}
