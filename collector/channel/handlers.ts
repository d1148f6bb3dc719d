/**
 * What the collector does for each write the dashboard asks for (lib/channel.ts). Payloads
 * arrive validated by the operation's zod schema; a merged rule is validated again as a
 * whole. Every write goes through db/queries, on the collector's own connection.
 */
import type { Db } from '../../db/open';
import { deleteRule, getRule, insertRule, rowToRuleInput, setRuleEnabled, updateRule, upsertAppPolicy } from '../../db/queries/rules';
import { updateNetworkSettings } from '../../db/queries/network-settings';
import { channelFailure, type ChannelHandlers } from '../../lib/channel';
import { validateRule } from '../../lib/rules/model';

/** channelHandlers binds every channel operation to the store; `now` gives unix seconds. */
export function channelHandlers(db: Db, now: () => number = () => Math.floor(Date.now() / 1000)): ChannelHandlers {
  const noRule = (id: number) => channelFailure(404, `There is no rule ${id}.`);
  return {
    'rules.create': (rule) => ({ ok: true, value: { id: insertRule(db, rule, now()) } }),
    'rules.update': ({ id, patch }) => {
      const row = getRule(db, id);
      if (!row) return noRule(id);
      const keys = Object.keys(patch);
      // Switching a rule on or off keeps the stored rule as it is (even one the planner skips).
      if (keys.length === 1 && keys[0] === 'enabled' && patch.enabled !== undefined) {
        setRuleEnabled(db, id, patch.enabled, now());
        return { ok: true, value: { id } };
      }
      const v = validateRule({ ...rowToRuleInput(row), ...patch });
      if (!v.ok) return channelFailure(400, v.message, v.errors);
      updateRule(db, id, v.value, now());
      return { ok: true, value: { id } };
    },
    'rules.delete': ({ id }) => (deleteRule(db, id) ? { ok: true, value: { id } } : noRule(id)),
    'apps.policy.save': (policy) => {
      upsertAppPolicy(db, policy, now());
      return { ok: true, value: { app: policy.app } };
    },
    'networks.settings.save': ({ id, ...settings }) =>
      updateNetworkSettings(db, id, settings) ? { ok: true, value: { id } } : channelFailure(404, `Network ${id} no longer exists.`),
  };
}
