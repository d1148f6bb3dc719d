/**
 * The firewall as part of the collector's ruleset: desired rules from the store
 * (collector/rules/plan.ts builds them, re-validated) appended to the accounting batch,
 * re-planned when rules, settings, billing cycles, interfaces or the cgroups of apps
 * change, and rule hits and data-cap use read back from every listing. Where systemd ≥ 255
 * runs, services with rules are also dispatched on the sets NFTSet= fills (appnet nftset).
 */
import { createHash } from 'node:crypto';
import type { Db } from '../db/open';
import { getFirewallIfaces } from '../db/queries/rules';
import type { RulesetExtension } from './poll';
import type { LiveCgroup } from './sources/cgroups';
import { systemdVersion } from './systemd';
import { NFTSET_MIN_SYSTEMD } from '../lib/nft/nftset';
import { firewallPlanKey, planFirewall, recordFirewallResult, storeFirewallCounters } from './rules/plan';

/** The plan key of a store with no rules and no per-app settings (see getFirewallSignature). */
const NOTHING_CONFIGURED = '0.0.0/0.0|';

const hashLines = (lines: string[]): string => {
  const h = createHash('sha1');
  for (const l of lines) h.update(l).update('\n');
  return h.digest('hex');
};

/** firewallExtension connects the firewall planner to the collector's ruleset. */
export function firewallExtension(db: Db, cgroupRoot: string): RulesetExtension {
  const version = systemdVersion();
  const systemdSets = version !== null && version >= NFTSET_MIN_SYSTEMD;
  const ifaces = () => getFirewallIfaces(db).map((i) => ({ name: i.name, kind: i.kind, metered: i.metered === 1 }));
  let tree: { of: readonly LiveCgroup[] | null; hash: string } = { of: null, hash: '' };
  return {
    commands: (live) => planFirewall(db, live.map((c) => c.path), ifaces(), { cgroupRoot, systemdSets }),
    applied: (ok, error) => recordFirewallResult(db, ok, error),
    fingerprint(live) {
      const key = firewallPlanKey(db);
      // Nothing configured (no rules, no app settings, no caps): the tree does not matter.
      if (key === NOTHING_CONFIGURED) return key;
      // The tracker hands out a new array only when the tree changed: hash it once per array.
      if (live !== tree.of) tree = { of: live, hash: hashLines(live.map((x) => `${x.id}:${x.path}`).sort()) };
      return `${key}|${tree.hash}|${hashLines(ifaces().map((i) => `${i.name}:${i.kind}:${i.metered}`))}`;
    },
    observe: (counters) => storeFirewallCounters(db, counters),
  };
}
