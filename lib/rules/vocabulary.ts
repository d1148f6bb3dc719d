/**
 * The words of the firewall: the values a rule's fields take and the one label each is
 * shown with. The dashboard's selects, the rules table, `appnet rules list` and the
 * precedence text all use these labels, so a person reads the same word everywhere.
 */

export const DIRECTIONS = ['in', 'out', 'both'] as const;
export const ACTIONS = ['allow', 'drop', 'reject', 'count'] as const;
export const PROTOCOLS = ['any', 'tcp', 'udp', 'icmp'] as const;
export const NETWORKS = ['any', 'metered', 'mobile'] as const;
export const POLICIES = ['inherit', 'allow', 'drop', 'reject'] as const;

export type Direction = (typeof DIRECTIONS)[number];
export type Action = (typeof ACTIONS)[number];
export type Protocol = (typeof PROTOCOLS)[number];
export type NetworkClass = (typeof NETWORKS)[number];
export type Policy = (typeof POLICIES)[number];

/** OTHER_APPS is the selector of the rules that apply to every app without rules of its own. */
export const OTHER_APPS = '*';
export const OTHER_APPS_LABEL = 'All other apps (*)';

export const DIRECTION_LABELS: Record<Direction, string> = {
  out: 'out (connections the app opens)',
  in: 'in (connections to the app)',
  both: 'both',
};

export const ACTION_LABELS: Record<Action, string> = {
  allow: 'allow',
  drop: 'drop',
  reject: 'reject',
  count: 'count only',
};

export const POLICY_LABELS: Record<Policy, string> = {
  inherit: 'as all other apps (*)',
  allow: 'allow',
  drop: 'drop',
  reject: 'reject',
};

export const PROTOCOL_LABELS: Record<Protocol, string> = { any: 'any', tcp: 'TCP', udp: 'UDP', icmp: 'ICMP' };

export const NETWORK_LABELS: Record<NetworkClass, string> = {
  any: 'any network',
  metered: 'metered networks',
  mobile: 'mobile data',
};

const q = (s: string) => `“${s}”`;

/**
 * PRECEDENCE says, in order, how a packet is decided, in the words of the selects; the
 * dashboard and `appnet rules list` show it so nobody has to guess.
 */
export const PRECEDENCE: readonly string[] = [
  'A packet belongs to the app of its socket’s cgroup; the deepest cgroup with rules of its own wins (so a service’s rules cover every process and restart of it).',
  `Within that app: a data cap that is used up blocks first; then ${q(ACTION_LABELS.count)} rules count; then replies to connections already allowed pass.`,
  `Then the app’s ${q(ACTION_LABELS.allow)}, ${q(ACTION_LABELS.drop)} and ${q(ACTION_LABELS.reject)} rules, lowest priority number first (ties: oldest rule first); the first match decides. ${q(ACTION_LABELS.drop)} discards the packet silently, ${q(ACTION_LABELS.reject)} refuses it at once. ${q(DIRECTION_LABELS.in)} and ${q(DIRECTION_LABELS.out)} name who opened the connection.`,
  `No match: the app’s default for that direction (${q(POLICY_LABELS.allow)}, ${q(POLICY_LABELS.drop)}, ${q(POLICY_LABELS.reject)}, or ${q(POLICY_LABELS.inherit)}, which hands the packet to the rules of ${OTHER_APPS_LABEL}).`,
  'No match there either, or no socket at all (forwarded, kernel-generated): the packet passes.',
];
