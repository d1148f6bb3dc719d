/**
 * The firewall as part of the collector's ruleset: desired rules from the store
 * (collector/rules/plan.ts builds them, re-validated row by row) appended to the
 * accounting batch, re-planned when rules, settings, billing cycles, interfaces or the
 * cgroups of apps change, and rule hits and data-cap use read back from every listing.
 *
 * It never lets the counters go in alone while rules are wanted: when a plan cannot be
 * made (the store cannot be read) or nft refuses it, the next batch carries the last plan
 * the kernel took (kept in memory and in the store, so also after a restart), rebuilt for
 * the live cgroups; every failure is recorded where the dashboard and /metrics show it.
 * A table re-created without our firewall (the marker counter is missing) is noticed at
 * the next reading: the rows stop saying "applied" and the firewall is loaded again.
 * Where systemd ≥ 255 runs, services with rules are also dispatched on the sets NFTSet=
 * fills (appnet nftset).
 */
import { createHash } from 'node:crypto';
import type { Db } from '../db/open';
import { getFirewallIfaces, markFirewallLost } from '../db/queries/rules';
import type { RulesetExtension } from './reconcile';
import type { LiveCgroup } from './sources/cgroups';
import { systemdVersion } from './systemd';
import { NFTSET_MIN_SYSTEMD } from '../lib/nft/nftset';
import type { FirewallCounters } from '../lib/nft/firewall-parse';
import {
  firewallPlanKey, pendingGood, planFirewall, planFromGood, readGoodPlan, recordFirewallResult, recordPlanFailure, storeFirewallCounters,
  type GoodPlan, type LiveIface, type PlanOptions,
} from './rules/plan';
import { nowSeconds } from '../lib/time';

/** The plan key of a store with no rules and no per-app settings (see getFirewallSignature). */
const NOTHING_CONFIGURED = '0.0.0/0.0.0|';

const hashLines = (lines: string[]): string => {
  const h = createHash('sha1');
  for (const l of lines) h.update(l).update('\n');
  return h.digest('hex');
};
const reason = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** What the extension carries between batches. */
interface FirewallState {
  /** The last plan the kernel took (or the store's copy, read once). */
  good: GoodPlan | null;
  goodRead: boolean;
  /** Why the next batch should be the good plan: the wanted one was refused. */
  refused: string | null;
  /** Bumped whenever the kernel does not hold the wanted plan, so the next poll plans again. */
  generation: number;
  /** The firewall's marker was missing and the rows were told so. */
  lost: boolean;
}

/** firewallExtension connects the firewall planner to the collector's ruleset. */
export function firewallExtension(db: Db, cgroupRoot: string): RulesetExtension {
  const version = systemdVersion();
  const opts: PlanOptions = { cgroupRoot, systemdSets: version !== null && version >= NFTSET_MIN_SYSTEMD };
  const ifaces = (): LiveIface[] => getFirewallIfaces(db).map((i) => ({ name: i.name, kind: i.kind, metered: i.metered === 1 }));
  const st: FirewallState = { good: null, goodRead: false, refused: null, generation: 0, lost: false };
  let tree: { of: readonly LiveCgroup[] | null; hash: string } = { of: null, hash: '' };

  const fallback = (live: LiveCgroup[], ifs: LiveIface[], why: string): string[] => {
    st.generation++;
    if (!st.good && !st.goodRead) {
      st.goodRead = true;
      st.good = readGoodPlan(db);
    }
    return planFromGood(db, st.good, live, ifs, { ...opts, why }) ?? [];
  };

  return {
    commands(live) {
      let ifs: LiveIface[] = [];
      let why = st.refused;
      st.refused = null;
      if (why === null) {
        try {
          ifs = ifaces();
          return planFirewall(db, live, ifs, opts);
        } catch (err) {
          why = `firewall: no plan could be made, the last good rules stay in force: ${reason(err)}`;
          recordPlanFailure(db, why);
        }
      }
      return fallback(live, ifs, why);
    },
    applied(ok, error) {
      const p = pendingGood(db);
      recordFirewallResult(db, ok, error);
      if (ok && p) {
        st.lost = false;
        if (!p.fallback) st.good = p.good;
      }
      if (!ok && p && !p.fallback) st.refused = `firewall: nft refused the new rules, the last good rules stay in force: ${error?.trim() || 'the nft batch failed'}`;
    },
    fingerprint(live) {
      let key: string;
      try {
        key = firewallPlanKey(db);
      } catch (err) {
        return `unreadable:${st.generation}:${reason(err)}`;
      }
      // Nothing configured (no rules, no app settings, no caps): the tree does not matter.
      if (key === NOTHING_CONFIGURED) return `${key}#${st.generation}`;
      // The tracker hands out a new array only when the tree changed: hash it once per array.
      if (live !== tree.of) tree = { of: live, hash: hashLines(live.map((x) => `${x.id}:${x.path}`).sort()) };
      return `${key}|${tree.hash}|${hashLines(ifaces().map((i) => `${i.name}:${i.kind}:${i.metered}`))}#${st.generation}`;
    },
    observe(counters) {
      noticeLost(db, st, counters);
      storeFirewallCounters(db, counters);
    },
  };
}

/** noticeLost tells the rows, once, that the kernel holds none of our firewall, and asks for it to be loaded again. */
function noticeLost(db: Db, st: FirewallState, counters: FirewallCounters): void {
  if (counters.rules.has(0) || st.lost) return;
  st.lost = true;
  st.generation++;
  try {
    markFirewallLost(db, 'firewall: our nft table was re-created without the firewall (no rule is in force); loading it again', nowSeconds());
  } catch {
    /* the store cannot be written: the next apply records its own outcome */
  }
}
