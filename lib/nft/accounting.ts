import {
  ACCT_SET_SIZE, CHAIN_ACCT_FWD, CHAIN_ACCT_IN, CHAIN_ACCT_OUT, MAX_LEVEL, SET_ACCT_IN, SET_ACCT_OUT, SET_IFACE_IN, SET_IFACE_OUT,
  SET_UNATTR_IN, SET_UNATTR_OUT, TABLE_FAMILY, TABLE_NAME, UNATTR_SET_SIZE, DNS_LOG_GROUP,
} from './names';
import { destChains, destDispatch, destSetDeclarations, dropDestChains, dropDestSets } from './dest-sets';

export interface AccountingOptions {
  /**
   * Cgroup levels that hold processes, any order. Only these are looked up, deepest
   * first, so the per-packet cost follows how deep the tree really is, not MAX_LEVEL.
   */
  levels: number[];
  /** Idle seconds after which a (cgroup, interface) element is dropped by the kernel. */
  elementTimeoutSec: number;
  /**
   * 'apps' (default): nft counts per app and the unattributed rest. 'totals': the cgroup_skb
   * BPF program counts per app and nft counts nothing (the name stays from when nft counted
   * each interface's total; the interfaces' own statistics give it now).
   */
  role?: 'apps' | 'totals';
  /**
   * Count destinations in nft's sets (lib/nft/dest-sets.ts): only with the 'apps' role (next to
   * the BPF program its own map counts them). Off, the destination sets and chains are deleted.
   */
  destinations?: boolean;
  /**
   * With the 'totals' role: keep the input chain that logs DNS answers for destinations' host
   * names (collector/native/dnslog). Off, the table has no chain of its own at all.
   */
  dnsLog?: boolean;
}

const T = `${TABLE_FAMILY} ${TABLE_NAME}`;

/** normaliseLevels sorts the populated levels deepest first, within 1..MAX_LEVEL, without repeats. */
export function normaliseLevels(levels: number[]): number[] {
  const ok = levels.filter((l) => Number.isInteger(l) && l >= 1 && l <= MAX_LEVEL);
  return [...new Set(ok)].sort((a, b) => b - a);
}

type DirKey = 'iifname' | 'oifname';

const acctSet = (name: string, dirKey: DirKey, timeout: number) =>
  `add set ${T} ${name} { typeof socket cgroupv2 level 1 . ${dirKey}; flags dynamic,timeout; timeout ${timeout}s; size ${ACCT_SET_SIZE}; counter; }`;
const ifaceSet = (name: string, dirKey: DirKey) => `add set ${T} ${name} { typeof ${dirKey}; flags dynamic; size ${UNATTR_SET_SIZE}; counter; }`;

/** baseChains declares the three accounting chains. Ingress is counted before any filtering (it crossed the interface either way); egress after ours and the usual filter priorities, so dropped packets are not counted. */
const baseChains = () => [
  `add chain ${T} ${CHAIN_ACCT_IN} { type filter hook input priority -10; policy accept; }`,
  `add chain ${T} ${CHAIN_ACCT_OUT} { type filter hook output priority 300; policy accept; }`,
  `add chain ${T} ${CHAIN_ACCT_FWD} { type filter hook forward priority -300; policy accept; }`,
];

/** dropSets removes sets the other role uses, once the chains that referred to them are flushed (add first: delete of a missing set fails). */
const dropSets = (sets: string[], timeout: number) =>
  sets.flatMap((s) => [s === SET_ACCT_IN || s === SET_ACCT_OUT ? acctSet(s, s === SET_ACCT_IN ? 'iifname' : 'oifname', timeout) : ifaceSet(s, s.endsWith('_in') ? 'iifname' : 'oifname'), `delete set ${T} ${s}`]);

/**
 * totalsCommands: our table next to the BPF program, which counts per app while each
 * interface's own statistics give its total (lib/link-totals.ts): no accounting chain, so no
 * packet passes a hook of ours unless a firewall rule needs it. Only while destinations' host
 * names are learned from nft (`dnsLog`) does the input chain stay, with one rule logging the
 * DNS answers the machine receives to an NFLOG group, where collector/native/dnslog reads them
 * (nothing is logged to a file; with no reader, nothing happens):
 *   udp sport 53 log group 7171
 * Chains and sets of the other role or of an older appnet are removed (added first: deleting a
 * missing one fails).
 */
function totalsCommands(timeout: number, dnsLog: boolean): string[] {
  return [
    `add table ${T}`,
    ...baseChains(),
    `flush chain ${T} ${CHAIN_ACCT_IN}`,
    `flush chain ${T} ${CHAIN_ACCT_OUT}`,
    `flush chain ${T} ${CHAIN_ACCT_FWD}`,
    ...(dnsLog ? [`add rule ${T} ${CHAIN_ACCT_IN} udp sport 53 log group ${DNS_LOG_GROUP}`] : [`delete chain ${T} ${CHAIN_ACCT_IN}`]),
    `delete chain ${T} ${CHAIN_ACCT_OUT}`,
    `delete chain ${T} ${CHAIN_ACCT_FWD}`,
    ...dropSets([SET_ACCT_IN, SET_ACCT_OUT, SET_UNATTR_IN, SET_UNATTR_OUT, SET_IFACE_IN, SET_IFACE_OUT], timeout),
    ...dropDestChains([]),
    ...dropDestSets(timeout),
  ];
}

/**
 * accountingCommands returns the nft commands that (re)build the counting part of our
 * table. Sets are only added (never flushed), so their counters survive a rebuild;
 * the three chains are flushed and refilled in the same batch. Counting per app, for
 * each direction:
 *   update @acct_out { socket cgroupv2 level 5 . oifname } return
 *   update @acct_out { socket cgroupv2 level 2 . oifname } return
 *   update @unattr_out { oifname }
 * so each packet lands exactly once: at the deepest populated level of its socket's
 * cgroup, or in the interface's unattributed counter when it has no full local socket.
 * With the 'totals' role our table has no accounting chain (totalsCommands).
 * With destinations on, each level's rule goes on to that level's destination chains instead
 * of returning, and the DNS answers the machine receives are logged for host names, as next to
 * the BPF program (lib/nft/dest-sets.ts):
 *   update @acct_out { socket cgroupv2 level 5 . oifname } meta nfproto vmap { ipv4 : goto dst4_out_l5, ipv6 : goto dst6_out_l5 }
 */
export function accountingCommands(opts: AccountingOptions): string[] {
  const timeout = Math.max(10, Math.floor(opts.elementTimeoutSec));
  if (opts.role === 'totals') return totalsCommands(timeout, opts.dnsLog === true);
  const levels = normaliseLevels(opts.levels);
  const dests = opts.destinations === true;
  const then = (dir: 'in' | 'out', l: number) => (dests ? destDispatch(dir, l) : 'return');
  const cascade = (chain: string, set: string, unattr: string, dirKey: DirKey) => [
    `flush chain ${T} ${chain}`,
    ...(dests && chain === CHAIN_ACCT_IN ? [`add rule ${T} ${chain} udp sport 53 log group ${DNS_LOG_GROUP}`] : []),
    ...levels.map((l) => `add rule ${T} ${chain} update @${set} { socket cgroupv2 level ${l} . ${dirKey} } ${then(dirKey === 'iifname' ? 'in' : 'out', l)}`),
    `add rule ${T} ${chain} update @${unattr} { ${dirKey} }`,
  ];
  return [
    `add table ${T}`,
    acctSet(SET_ACCT_IN, 'iifname', timeout),
    acctSet(SET_ACCT_OUT, 'oifname', timeout),
    ifaceSet(SET_UNATTR_IN, 'iifname'),
    ifaceSet(SET_UNATTR_OUT, 'oifname'),
    ...(dests ? [...destSetDeclarations(timeout), ...destChains(levels)] : []),
    ...baseChains(),
    ...cascade(CHAIN_ACCT_IN, SET_ACCT_IN, SET_UNATTR_IN, 'iifname'),
    ...cascade(CHAIN_ACCT_OUT, SET_ACCT_OUT, SET_UNATTR_OUT, 'oifname'),
    `flush chain ${T} ${CHAIN_ACCT_FWD}`,
    `add rule ${T} ${CHAIN_ACCT_FWD} update @${SET_UNATTR_IN} { iifname } update @${SET_UNATTR_OUT} { oifname }`,
    ...dropSets([SET_IFACE_IN, SET_IFACE_OUT], timeout),
    ...dropDestChains(dests ? levels : []),
    ...(dests ? [] : dropDestSets(timeout)),
  ];
}
