/**
 * Keeping our nft table in shape: which cgroup levels the accounting looks up (those where
 * processes live, remembered for a while), and the reconciler applying the table when they or
 * the desired firewall changed.
 */
import { accountingCommands, normaliseLevels } from '../lib/nft/accounting';
import { destinationsWanted, dnsFromProgram } from './counter-select';
import type { PollContext, PollState } from './poll';
import type { LiveCgroup } from './sources/cgroups';

const LEVEL_STICKY_MS = 15 * 60_000;

/**
 * currentLevels is every level where processes live or are about to: populated
 * cgroups and leaves (a fresh scope is an empty leaf for the moment before its first
 * process joins), kept for 15 minutes after they were last seen (sockets outlive moves).
 */
function currentLevels(st: PollState, live: LiveCgroup[], now: number): number[] {
  const parents = new Set<string>();
  for (const c of live) {
    const i = c.path.lastIndexOf('/');
    if (i > 0) parents.add(c.path.slice(0, i));
  }
  for (const c of live) if (c.populated || !parents.has(c.path)) st.levelsSeen.set(c.level, now);
  for (const [l, at] of st.levelsSeen) if (now - at > LEVEL_STICKY_MS) st.levelsSeen.delete(l);
  const levels = normaliseLevels([...st.levelsSeen.keys()]);
  return levels.length ? levels : [1];
}

/** ensureRuleset has the reconciler apply our table when it is missing, incomplete, or the desired state changed. */
export async function ensureRuleset(ctx: PollContext, opts: { force: boolean }): Promise<boolean> {
  const { st, cfg } = ctx;
  const levels = currentLevels(st, st.live, Date.now());
  const role = ctx.nft.currentRole;
  // Counting with nft, destinations are nft's sets too: on and off with the switch.
  const destinations = role === 'apps' && destinationsWanted(ctx);
  // Next to the BPF program, nft logs DNS answers only while destinations' host names are learned and the program cannot pass them up itself.
  const dnsLog = role === 'totals' && destinationsWanted(ctx) && !dnsFromProgram(ctx);
  const accounting = accountingCommands({ levels, elementTimeoutSec: cfg.elementTimeoutSec, role, destinations, dnsLog });
  const key = role === 'totals' ? `totals${dnsLog ? '+dns' : ''}` : `${levels.join(',')}#${cfg.elementTimeoutSec}${destinations ? '+dests' : ''}`;
  const r = await ctx.reconciler.ensure({ accounting, accountingKey: key, live: st.live, ifaces: st.ifaces }, opts);
  return r.applied;
}
