'use client';
import { useRouter } from 'next/navigation';
import { useEffect } from 'react';

/**
 * AutoRefresh re-renders the page's server components every `seconds` while the tab is visible (no full
 * reload). Links on refreshed pages do not prefetch: each refresh would otherwise fetch every app's page.
 */
export function AutoRefresh({ seconds }: { seconds: number }) {
  const router = useRouter();
  useEffect(() => {
    const id = setInterval(() => {
      if (document.visibilityState === 'visible' && navigator.onLine) router.refresh();
    }, seconds * 1000);
    return () => clearInterval(id);
  }, [router, seconds]);
  return null;
}
