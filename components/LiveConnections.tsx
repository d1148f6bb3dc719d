'use client';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { formatBytes } from '../lib/format';
import { liveBlockParam, LIVE_LIMITS, type LiveSocketView, type LiveView } from '../lib/live';

/** How often the page asks again; sooner while the collector takes its first listing. */
const EVERY_MS = 3000;
const WAITING_MS = 1000;

type Shown = LiveView | { state: 'loading' } | { state: 'error'; message: string };

/** fetchLive asks the dashboard for the app's live connections; a failure becomes a sentence. */
async function fetchLive(appId: number): Promise<Shown> {
  try {
    const res = await fetch(`/api/live?app=${appId}`, { cache: 'no-store', headers: { accept: 'application/json' } });
    const body: unknown = await res.json().catch(() => null);
    if (res.ok && typeof body === 'object' && body !== null && 'state' in body) return body as LiveView;
    const message = (body as { error?: { message?: string } } | null)?.error?.message;
    return { state: 'error', message: message || `The dashboard answered ${res.status}.` };
  } catch {
    return { state: 'error', message: 'The dashboard cannot be reached: live connections show again when it can.' };
  }
}

const bytes = (n: number | null) => (n === null ? '—' : formatBytes(n));

function ConnectionRow({ c, ruleHref }: { c: LiveSocketView; ruleHref: string | null }) {
  return (
    <tr data-proto={c.protocol} data-remote={c.remote} data-remote-port={c.remotePort} data-local-port={c.localPort} data-state={c.state}>
      <td>
        {c.host === null ? <span className="mono">{c.remote}</span> : <>{c.host}<div className="mono muted small">{c.remote}</div></>}
      </td>
      <td>{c.protocol} {c.remotePort}{c.inbound && <span className="muted small" title="a connection made to this app, on one of its open ports"> in</span>}</td>
      <td className="num hide-narrow">{c.localPort}</td>
      <td className="hide-narrow">{c.state}</td>
      <td className="num down">{bytes(c.rxBytes)}</td>
      <td className="num up">{bytes(c.txBytes)}</td>
      {ruleHref !== null && <td><Link prefetch={false} className="small" href={`${ruleHref}${encodeURIComponent(liveBlockParam(c))}#add-rule`} data-testid="block-live">Rule…</Link></td>}
    </tr>
  );
}

function Tables({ v, ruleHref }: { v: Extract<LiveView, { state: 'ok' }>; ruleHref: string | null }) {
  return (
    <>
      {v.connections.length === 0 ? (
        <p className="muted" data-testid="live-none">No connections right now.</p>
      ) : (
        <div className="tablewrap">
          <table data-testid="live-table" aria-label="Current connections">
            <thead>
              <tr>
                <th>Remote</th><th>Port</th><th className="num hide-narrow">Local port</th><th className="hide-narrow">State</th>
                <th className="num">↓</th><th className="num">↑</th>{ruleHref !== null && <th>Rule</th>}
              </tr>
            </thead>
            <tbody>
              {v.connections.map((c) => <ConnectionRow key={`${c.protocol}|${c.local}|${c.localPort}|${c.remote}|${c.remotePort}`} c={c} ruleHref={ruleHref} />)}
            </tbody>
          </table>
        </div>
      )}
      {v.totalConnections > v.connections.length && <p className="muted small">The busiest {v.connections.length} of {v.totalConnections} connections.</p>}
      {v.listening.length > 0 && (
        <>
          <h3 className="section-gap small">Open ports</h3>
          <div className="tablewrap">
            <table data-testid="live-open-ports" aria-label="Open ports">
              <thead><tr><th>Protocol</th><th>Local address</th><th className="num">Port</th><th>State</th></tr></thead>
              <tbody>
                {v.listening.map((p) => (
                  <tr key={`${p.protocol}|${p.local}|${p.localPort}`} data-proto={p.protocol} data-local-port={p.localPort}>
                    <td>{p.protocol}</td><td className="mono">{p.local || 'any'}</td><td className="num">{p.localPort}</td><td>{p.state}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {v.totalListening > v.listening.length && <p className="muted small">The first {v.listening.length} of {v.totalListening} open ports.</p>}
        </>
      )}
    </>
  );
}

function Status({ shown }: { shown: Shown }) {
  switch (shown.state) {
    case 'loading':
      return <p className="muted small">Asking the collector…</p>;
    case 'waiting':
      return <p className="muted small" data-testid="live-waiting">The collector is listing this app's sockets…</p>;
    case 'unavailable':
    case 'error':
      return <p className="banner" data-testid="live-unavailable">{shown.message}</p>;
    case 'ok':
      return shown.stale ? (
        <p className="banner" data-testid="live-age">As of {Math.round(shown.ageMs / 1000)} s ago: the collector has stopped updating this list, so it may be out of date.</p>
      ) : (
        <p className="muted small" data-testid="live-age">As of {Math.round(shown.ageMs / 1000)} s ago · refreshed every few seconds while this page is visible</p>
      );
  }
}

/**
 * LiveConnections shows an app's current connections and open ports, asking GET /api/live every
 * few seconds while the tab is visible (the collector lists sockets only while somebody asks).
 * `ruleHref` (ends with `block=`) pre-fills the app's rule form from a row; null: no rule links.
 */
export function LiveConnections({ appId, ruleHref }: { appId: number; ruleHref: string | null }) {
  const [shown, setShown] = useState<Shown>({ state: 'loading' });
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let busy = false;
    const load = async () => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      if (stopped || busy || document.visibilityState !== 'visible') return;
      busy = true;
      const next = await fetchLive(appId);
      busy = false;
      if (stopped) return;
      setShown(next);
      timer = setTimeout(load, next.state === 'waiting' ? WAITING_MS : EVERY_MS);
    };
    const onVisible = () => {
      if (document.visibilityState === 'visible') void load();
    };
    document.addEventListener('visibilitychange', onVisible);
    void load();
    return () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [appId]);
  return (
    <div data-testid="live" data-state={shown.state}>
      <Status shown={shown} />
      {shown.state === 'ok' && <Tables v={shown} ruleHref={ruleHref} />}
      <p className="muted small">
        The sockets this app holds now, as the kernel lists them (sock_diag): TCP and UDP, IPv4 and IPv6, each under the cgroup it
        was opened in. Remote: the name this machine&apos;s DNS answers gave the address (as for Destinations), else the address. ↓ and ↑ are a TCP connection&apos;s bytes so far (received, and sent and acknowledged); UDP has no such
        count (—). Not shown: sockets in another network namespace (containers with their own network), connections already closed
        (see Destinations), raw and ICMP sockets. At most {LIVE_LIMITS.connections} connections, the busiest, and {LIVE_LIMITS.listening} open ports.
      </p>
    </div>
  );
}
