import Link from 'next/link';
import { formatBytes, formatDay, formatShare } from '../lib/format';
import type { NetworkCard } from '../app/_data/networks';

/**
 * PlanProgress shows a metered network's data plan on the Overview: used / plan this billing cycle
 * with a bar, and the end-of-cycle projection (or when one will be possible).
 */
export function PlanProgress({ cards }: { cards: NetworkCard[] }) {
  if (cards.length === 0) return null;
  return (
    <section className="panel plans" aria-label="Data plans">
      {cards.map((n) => {
        const plan = n.planBytes ?? 0;
        const over = n.projected !== null && n.projected > plan;
        return (
          <div className="planrow" key={n.id} data-testid="plan-progress" data-used={n.used} data-plan={plan} data-projected={n.projected ?? undefined}>
            <p className="small">
              <Link prefetch={false} href="/networks">{n.name}</Link>: <strong>{formatBytes(n.used)}</strong> of {formatBytes(plan)} ({formatShare(n.used, plan)}) this billing cycle, until {formatDay(n.cycleUntil)}
            </p>
            <progress className={n.used >= plan ? 'over' : over ? 'warn' : undefined} max={plan} value={Math.min(n.used, plan)} aria-label={`${n.name} plan used`} />
            <p className={over ? 'small field-error' : 'small muted'}>
              {n.projected !== null
                ? `At this pace about ${formatBytes(n.projected)} by the end of the cycle${over ? ', more than the plan' : ''}.`
                : `A projection appears after a day of counting.`}
            </p>
          </div>
        );
      })}
    </section>
  );
}
