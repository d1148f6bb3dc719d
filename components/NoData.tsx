import { EmptyState } from './EmptyState';

/** NoData is the empty state for a missing, unmigrated or still empty store. */
export function NoData({ state, path, reason }: { state: 'missing' | 'empty' | 'nodata'; path: string; reason?: string }) {
  if (state === 'nodata') {
    return (
      <EmptyState title="No traffic recorded yet">
        <p>The collector is set up but has not counted any bytes yet. Data appears within a minute of the first poll.</p>
        <p className="muted">If this stays empty, check that the collector is running: <code>appnet status</code>.</p>
      </EmptyState>
    );
  }
  return (
    <EmptyState title="The collector is not running (no data yet)">
      <p>
        The dashboard reads what the appnet collector records, and it has not recorded anything at <code>{path}</code>{' '}
        {state === 'empty' ? '(the database exists but has no tables yet)' : ''}.
      </p>
      <p>Start it as root with <code>sudo appnet start</code>; this page fills in by itself.</p>
      {reason && <p className="muted small">{reason}</p>}
    </EmptyState>
  );
}
