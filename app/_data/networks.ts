/** The Networks page: every network with its plan, usage this billing cycle and a projection. */
import type { Db } from '../../db/open';
import { getNetworkCounted, type NetworkCounted } from '../../db/queries/link-counted';
import { getNetworks, getNetworkUsage, type NetworkRow } from '../../db/queries/network-settings';
import type { ChannelResult, NetworkSettingsInput } from '../../lib/channel';
import { callCollector } from './channel';
import { cycleBounds } from '../../lib/period';

export interface NetworkCard extends NetworkRow {
  cycleSince: number;
  cycleUntil: number;
  used: number;
  /** Bytes expected by the end of the cycle at the pace so far (null early in a cycle). */
  projected: number | null;
  /**
   * This cycle counted by appnet and by the interface's own counters over the same polls, since
   * the later of the cycle's start and the first comparison; null before the first comparison.
   */
  counted: NetworkCounted | null;
}

/** getNetworkCards reads each network's settings, the bytes used so far in its current billing cycle, and the interface's own count of them. */
export function getNetworkCards(db: Db, now: number): NetworkCard[] {
  return getNetworks(db).map((n) => {
    const c = cycleBounds(now, n.cycleStartDay);
    const u = getNetworkUsage(db, n.id, c.since, now, now);
    const used = u.rxBytes + u.txBytes;
    const elapsed = now - c.since;
    const projected = elapsed >= 3600 ? Math.round((used * (c.until - c.since)) / elapsed) : null;
    return { ...n, cycleSince: c.since, cycleUntil: c.until, used, projected, counted: getNetworkCounted(db, n.id, c.since) };
  });
}

/** saveNetworkSettings has the collector store a network's metered flag, billing-cycle day and plan. */
export function saveNetworkSettings(settings: NetworkSettingsInput): Promise<ChannelResult<{ id: number }>> {
  return callCollector('networks.settings.save', settings);
}
