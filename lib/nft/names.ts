/** The one nftables table appnet owns; nothing outside it is ever touched. */
export const TABLE_FAMILY = 'inet';
export const TABLE_NAME = 'appnet';

/** Per-(cgroup, interface) counter sets, filled by the datapath. */
export const SET_ACCT_IN = 'acct_in';
export const SET_ACCT_OUT = 'acct_out';
/** Per-interface counters for packets no local socket accounts for. */
export const SET_UNATTR_IN = 'unattr_in';
export const SET_UNATTR_OUT = 'unattr_out';
/** Per-interface totals nft counted next to the BPF program until 2026-12-03 (the interfaces' statistics give them since): only dropped now. */
export const SET_IFACE_IN = 'iface_in';
export const SET_IFACE_OUT = 'iface_out';
export const COUNTER_SETS = [SET_ACCT_IN, SET_ACCT_OUT, SET_UNATTR_IN, SET_UNATTR_OUT, SET_IFACE_IN, SET_IFACE_OUT] as const;
export type CounterSetName = (typeof COUNTER_SETS)[number];

/**
 * Per-app destination sets (issue 19), when nft counts per app and destinations are on: one per
 * IP family, direction and whose port the key holds — the remote one, or (`svc`) the app's own
 * for a connection made to it — keyed as lib/nft/dest-sets.ts builds them.
 */
export interface DestSetSpec {
  name: string;
  ipv: 4 | 6;
  direction: 'in' | 'out';
  /** The key's port is the app's own (a connection made to it), as the BPF map's `inbound` flag. */
  inbound: boolean;
}
export const DEST_SETS: readonly DestSetSpec[] = (['out', 'in'] as const).flatMap((direction) =>
  ([4, 6] as const).flatMap((ipv) => [false, true].map((inbound) => ({ name: `dst${ipv}_${direction}${inbound ? '_svc' : ''}`, ipv, direction, inbound }))),
);
/** Capacity of each destination set: 8 sets, 32,768 destinations in all (the BPF map holds 16,384). */
export const DEST_SET_SIZE = 4096;

export const CHAIN_ACCT_IN = 'acct_input';
export const CHAIN_ACCT_OUT = 'acct_output';
export const CHAIN_ACCT_FWD = 'acct_forward';

/** Capacity of each per-(cgroup, interface) set. */
export const ACCT_SET_SIZE = 262144;
/** Interfaces are few; this bounds the unattributed sets. */
export const UNATTR_SET_SIZE = 4096;
/** Deepest cgroup level the accounting cascade looks at. */
export const MAX_LEVEL = 12;

/** isIfname checks a Linux interface name: 1–15 bytes, no '/', whitespace, quote or backslash. */
export function isIfname(s: string): boolean {
  return /^[A-Za-z0-9_.:@+-]{1,15}$/.test(s) && s !== '.' && s !== '..';
}

/**
 * isSafeCgroupPath checks a cgroup path before it is written into nft syntax: relative,
 * '/'-separated, each part made of the characters systemd and desktops use in unit names.
 */
export function isSafeCgroupPath(s: string): boolean {
  if (s.length === 0 || s.length > 1024) return false;
  return s.split('/').every((p) => /^[A-Za-z0-9_.:@+\\-]{1,255}$/.test(p) && p !== '.' && p !== '..');
}

// Firewall: base chains next to the accounting ones, in the same table, so one batch replaces both.
export const CHAIN_FW_IN = 'fw_input';
export const CHAIN_FW_OUT = 'fw_output';
/** Verdict maps, one per hook: live cgroup → goto the app's chain (or accept), looked up only at the levels holding elements for that hook. */
export const MAP_FW_IN = 'fw_in';
export const MAP_FW_OUT = 'fw_out';
/** Interface-name sets of the network classes, refilled from the interface table each apply. */
export const SET_IF_METERED = 'if_metered';
export const SET_IF_MOBILE = 'if_mobile';
/** Per-app chains, named counters (one per rule) and quotas are named from database ids. */
export const fwAppChain = (appId: number, dir: 'in' | 'out'): string => `fw_a${appId}_${dir}`;
export const fwRuleCounter = (ruleId: number): string => `fw_r${ruleId}`;
export const fwQuota = (appId: number): string => `fw_q${appId}`;

/** The NFLOG group our table logs DNS answers to (udp sport 53, input), read by collector/native/dnslog for destinations' host names. */
export const DNS_LOG_GROUP = 7171;
