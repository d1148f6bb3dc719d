/**
 * An app's live connections for its page (GET /api/live): each look tells the collector, over
 * its control socket, that the app is being watched (it lists sockets only then), and reads the
 * snapshot it stored.
 */
import type { Db } from '../../db/open';
import { getLiveSnapshot, type LiveSnapshot } from '../../db/queries/live';
import { LIVE_STALE_MS, socketStateName, TCP, type LiveSocketView, type LiveView } from '../../lib/live';
import { callCollector, COLLECTOR_DOWN } from './channel';

/** whyNot says, as a sentence, why the collector could not be asked. */
function whyNot(r: { status: number; message: string }): string {
  if (r.message === COLLECTOR_DOWN) return 'The collector is not running, and live connections come from it. Start it (appnet start, or systemctl start appnet-collector) and they show here.';
  if (r.status === 400) return 'The running collector is older than this dashboard and does not list live connections: restart it.';
  return "The collector could not be asked for live connections (it did not answer, or this dashboard's account may not use its control socket). They show again once it answers.";
}

const viewOf = (s: LiveSnapshot['sockets'][number]): LiveSocketView => ({
  protocol: s.proto === TCP ? 'tcp' : 'udp',
  state: socketStateName(s.proto, s.state),
  local: s.local,
  localPort: s.localPort,
  remote: s.remote,
  remotePort: s.remotePort,
  host: s.host,
  rxBytes: s.rxBytes,
  txBytes: s.txBytes,
  inbound: s.inbound,
});

/** getLiveView asks the collector to watch the app and returns its latest snapshot, or why there is none. */
export async function getLiveView(db: Db, appId: number): Promise<LiveView> {
  const r = await callCollector('live.watch', { app: appId });
  if (!r.ok) return { state: 'unavailable', message: whyNot(r) };
  if (!r.value.available) return { state: 'unavailable', message: `The collector cannot list live connections: ${r.value.reason ?? 'no reason given'}.` };
  const snap = getLiveSnapshot(db, appId);
  if (!snap) return { state: 'waiting' };
  const ageMs = Math.max(0, Date.now() - snap.takenAt);
  return {
    state: 'ok',
    ageMs,
    stale: ageMs > LIVE_STALE_MS,
    connections: snap.sockets.filter((s) => !s.listening).map(viewOf),
    listening: snap.sockets.filter((s) => s.listening).map(viewOf),
    totalConnections: snap.connections,
    totalListening: snap.listening,
  };
}
