/**
 * What the collector does for each write the dashboard asks for (lib/channel.ts). Payloads
 * arrive validated by the operation's zod schema; rule and app-setting edits then take the
 * one edit path every writer takes (db/rules-edit.ts: validated again, one transaction).
 */
import type { Db } from '../../db/open';
import { getAlertSettings, putAlertSettings } from '../../db/queries/alerts';
import { updateNetworkSettings } from '../../db/queries/network-settings';
import { getDestinationsSetting, setDestinationsSetting } from '../../db/queries/destinations';
import { clearDestinations } from '../../db/store/dest-write';
import { insertEvent } from '../../db/queries/status';
import { addRule, changeRule, removeAppPolicy, removeRule, setAppPolicy, type EditResult } from '../../db/rules-edit';
import { channelFailure, type ChannelResult } from '../../lib/channel';
import type { ChannelHandlers } from '../../lib/channel';
import { nowSeconds } from '../../lib/time';

/** answer turns an edit's result into the channel's answer, keeping only `pick` of its value. */
function answer<T, V>(r: EditResult<T>, pick: (v: T) => V): ChannelResult<V> {
  return r.ok ? { ok: true, value: pick(r.value) } : channelFailure(r.code === 'not_found' ? 404 : 400, r.message, r.fields);
}

/** Who answers `live.watch`: the collector's LiveConnections (collector/live.ts). */
export interface LiveWatcher {
  watch(appId: number): { available: boolean; reason: string | null };
}

/** Without a watcher (a store served by something other than the collector's loop), the page is told so. */
const NO_LIVE: LiveWatcher = { watch: () => ({ available: false, reason: 'this collector does not list live connections' }) };

/** channelHandlers binds every channel operation to the store (and `live.watch` to the live watcher); `now` gives unix seconds. */
export function channelHandlers(db: Db, opts: { now?: () => number; live?: LiveWatcher } = {}): ChannelHandlers {
  const now = opts.now ?? nowSeconds;
  const live = opts.live ?? NO_LIVE;
  return {
    'rules.create': (rule) => answer(addRule(db, rule, now()), (r) => ({ id: r.id })),
    'rules.update': ({ id, patch }) => answer(changeRule(db, id, patch, now()), (r) => ({ id: r.id })),
    'rules.delete': ({ id }) => answer(removeRule(db, id), (r) => r),
    'apps.policy.save': (policy) => answer(setAppPolicy(db, policy, now()), (a) => ({ app: a.app })),
    'apps.policy.remove': ({ app }) => answer(removeAppPolicy(db, app, now()), (r) => r),
    'networks.settings.save': ({ id, ...settings }) =>
      updateNetworkSettings(db, id, settings) ? { ok: true, value: { id } } : channelFailure(404, `Network ${id} no longer exists.`),
    'alerts.settings.save': (settings) => {
      putAlertSettings(db, settings);
      return { ok: true, value: getAlertSettings(db) };
    },
    'destinations.setting.save': ({ on }) => {
      setDestinationsSetting(db, on);
      return { ok: true, value: { on: getDestinationsSetting(db) } };
    },
    'destinations.clear': () => {
      const deleted = clearDestinations(db);
      insertEvent(db, { ts: Date.now(), level: 'info', kind: 'destinations-cleared', message: `destination history cleared from the dashboard: ${deleted} rows and the learned host names deleted` });
      return { ok: true, value: { deleted } };
    },
    'live.watch': ({ app }) => ({ ok: true, value: live.watch(app) }),
  };
}
