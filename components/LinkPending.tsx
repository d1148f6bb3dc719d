'use client';
import { useLinkStatus } from 'next/link';

/**
 * LinkPending, placed inside a Link, shows that the link's page is on its way (pages render on the
 * server in one piece, without a loading skeleton, so this is the feedback while one is fetched).
 */
export function LinkPending() {
  const { pending } = useLinkStatus();
  return pending ? <span className="link-pending" role="status" aria-label="Loading" /> : null;
}
