'use client';
import { usePathname, useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { isoLocal } from '../lib/format';
import { PERIOD_LABELS, PERIODS } from '../lib/period';

export interface FilterNetwork {
  id: number;
  name: string;
  metered: boolean;
  ifaces: string[];
}

export interface FiltersProps {
  period: string;
  net: string;
  /** The period shown now (unix seconds): the custom range starts from it. */
  since: number;
  until: number;
  networks: FilterNetwork[];
}

const PERIOD_OPTIONS = PERIODS.map((p) => ({ value: p, label: PERIOD_LABELS[p] }));

/** Filters is the period picker and network filter; changing one navigates to the new query without a full reload. */
export function Filters({ period, net, since: sinceTs, until: untilTs, networks }: FiltersProps) {
  const since = isoLocal(sinceTs).slice(0, 16);
  const until = isoLocal(untilTs).slice(0, 16);
  const periods = PERIOD_OPTIONS;
  const router = useRouter();
  const path = usePathname();
  const [pending, start] = useTransition();
  const [p, setP] = useState(period);
  const [s, setS] = useState(since);
  const [u, setU] = useState(until);
  const go = (next: { period: string; net: string; since?: string; until?: string }) => {
    const q = new URLSearchParams({ period: next.period, net: next.net });
    if (next.period === 'custom') {
      if (next.since) q.set('since', next.since);
      if (next.until) q.set('until', next.until);
    }
    start(() => router.push(`${path}?${q.toString()}`));
  };
  const ifaces = networks.flatMap((n) => n.ifaces.map((i) => ({ iface: i, network: n.name })));
  return (
    <form
      className="filters"
      data-pending={pending ? 'true' : undefined}
      onSubmit={(e) => {
        e.preventDefault();
        go({ period: p, net, since: s, until: u });
      }}
    >
      <label>
        Period
        <select
          name="period"
          value={p}
          onChange={(e) => {
            setP(e.target.value);
            if (e.target.value !== 'custom') go({ period: e.target.value, net });
          }}
        >
          {periods.map((o) => (
            <option key={o.value} value={o.value}>{o.label}</option>
          ))}
        </select>
      </label>
      {p === 'custom' && (
        <>
          <label>
            From
            <input type="datetime-local" name="since" value={s} onChange={(e) => setS(e.target.value)} required />
          </label>
          <label>
            To
            <input type="datetime-local" name="until" value={u} onChange={(e) => setU(e.target.value)} required />
          </label>
          <button type="submit">Apply</button>
        </>
      )}
      <label>
        Network
        <select name="net" value={net} onChange={(e) => go({ period: p, net: e.target.value, since: s, until: u })}>
          <option value="all">All networks</option>
          <option value="metered">Metered (mobile data) only</option>
          {networks.length > 0 && (
            <optgroup label="Network">
              {networks.map((n) => (
                <option key={n.id} value={`net:${n.id}`}>{n.name}{n.metered ? ' (metered)' : ''}</option>
              ))}
            </optgroup>
          )}
          {ifaces.length > 0 && (
            <optgroup label="Interface">
              {ifaces.map((i) => (
                <option key={i.iface} value={`iface:${i.iface}`}>{i.iface} — {i.network}</option>
              ))}
            </optgroup>
          )}
        </select>
      </label>
      {pending && <span className="muted small" role="status">Loading…</span>}
    </form>
  );
}
