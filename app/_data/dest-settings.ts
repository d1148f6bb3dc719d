/**
 * The destinations switch and clearing on the Health page (issue 19, the privacy switch): the
 * collector's real state next to the saved wish, and the two writes, which go to the
 * collector (app/_data/channel.ts) like every change the dashboard makes.
 */
import type { Db } from '../../db/open';
import { getDestinationsSetting, getDestinationsState } from '../../db/queries/destinations';
import type { ChannelResult } from '../../lib/channel';
import { destinationsStateText } from '../../lib/dest-state';
import { callCollector } from './channel';

/** What the Health page's "Destination history" panel shows. */
export interface DestinationSettingsView {
  /** The global setting: what was asked for. */
  wish: boolean;
  /** Whether the collector records destinations now; null when it has not said. */
  recording: boolean | null;
  /** One sentence: the collector's state, since when, and why when the switch cannot change it. */
  text: string;
}

/** getDestinationSettings reads the wish and the collector's report of what it does. */
export function getDestinationSettings(db: Db): DestinationSettingsView {
  const wish = getDestinationsSetting(db);
  const state = getDestinationsState(db);
  return { wish, recording: state?.recording ?? null, text: destinationsStateText(state, wish) };
}

/** saveDestinationsSetting has the collector store the switch; it applies it at its next poll. */
export function saveDestinationsSetting(on: boolean): Promise<ChannelResult<{ on: boolean }>> {
  return callCollector('destinations.setting.save', { on });
}

/** clearDestinationHistory has the collector delete all destination history and learned host names. */
export function clearDestinationHistory(): Promise<ChannelResult<{ deleted: number }>> {
  return callCollector('destinations.clear', { confirm: true });
}
