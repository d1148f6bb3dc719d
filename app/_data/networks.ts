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
  /** When the bytes of this cycle began to be counted: the cycle start, or later when appnet first saw the network then. */
  countedSince: number;
  /** Bytes expected by the end of the cycle at the pace counted so far (null until a day has been counted). */
  projected: number | null;
  /**
   * This cycle counted by appnet and by the interface's own counters over the same polls, since
   * the later of the cycle's start and the first comparison; null before the first comparison.
   */
  counted: NetworkCounted | null;
}

/** A projection from less than a day of counting extrapolates one burst over a month. */
export const PROJECT_AFTER_SECONDS = 86400;

/**
 * projectCycle expects the bytes at the end of the cycle: what the cycle has used so far plus the
 * pace of the time actually counted (from the cycle start, or from when counting began if that was
 * later) over what is left of it; null before a day has been counted.
 */
export function projectCycle(p: { used: number; countedSince: number; now: number; cycleUntil: number }): number | null {
  const counted = p.now - p.countedSince;
  if (counted < PROJECT_AFTER_SECONDS) return null;
  return Math.round(p.used + (p.used / counted) * Math.max(0, p.cycleUntil - p.now));
}

/** getNetworkCards reads each network's settings, the bytes used so far in its current billing cycle and the interface's own count of them; loopback last. */
export function getNetworkCards(db: Db, now: number): NetworkCard[] {
  const cards = getNetworks(db).map((n) => {
    const c = cycleBounds(now, n.cycleStartDay);
    const u = getNetworkUsage(db, n.id, c.since, now, now);
    const used = u.rxBytes + u.txBytes;
    const countedSince = Math.min(now, Math.max(c.since, n.firstSeen));
    return { ...n, cycleSince: c.since, cycleUntil: c.until, used, countedSince, projected: projectCycle({ used, countedSince, now, cycleUntil: c.until }), counted: getNetworkCounted(db, n.id, c.since) };
  });
  return [...cards.filter((n) => n.kind !== 'loopback'), ...cards.filter((n) => n.kind === 'loopback')];
}

/** saveNetworkSettings has the collector store a network's metered flag, billing-cycle day and plan. */
export function saveNetworkSettings(settings: NetworkSettingsInput): Promise<ChannelResult<{ id: number }>> {
  return callCollector('networks.settings.save', settings);
}

/**
 * planCardsFor lists the cards of the networks a view's network filter covers that have a data plan
 * (all networks: none; the landing page and a metered filter: the metered ones).
 */
export function planCardsFor(db: Db, net: string, now: number): NetworkCard[] {
  const cards = getNetworkCards(db, now).filter((n) => n.planBytes !== null);
  if (net === 'metered') return cards.filter((n) => n.metered);
  if (net.startsWith('net:')) return cards.filter((n) => `net:${n.id}` === net);
  if (net.startsWith('iface:')) return cards.filter((n) => n.ifaces.includes(net.slice(6)));
  return [];
}
