'use client';
import { useRouter } from 'next/navigation';
import { useEffect } from 'react';

/** AutoRefresh re-renders the page's server components every `seconds` while the tab is visible (no full reload). */
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
