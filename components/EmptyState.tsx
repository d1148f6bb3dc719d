import type { ReactNode } from 'react';

/** EmptyState explains why there is nothing to show and what to do about it. */
export function EmptyState({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="panel empty" data-testid="empty-state">
      <h1>{title}</h1>
      {children}
    </section>
  );
}
