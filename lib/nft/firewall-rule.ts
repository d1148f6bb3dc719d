/**
 * One rule (or one default policy) as the statements of an app chain, for one hook. Used
 * by the builder and by the dashboard's "preview before save"; every value it writes has
 * been validated by lib/rules/model.ts.
 */
import type { Rule } from '../rules/model';
import { parsePorts, parseRemote, type PortRange } from '../rules/values';
import type { NetworkClass, Policy } from '../rules/vocabulary';
import { SET_IF_METERED, SET_IF_MOBILE, fwRuleCounter, isIfname } from './names';

export type Hook = 'in' | 'out';

/** FirewallBuildError names the rule or app whose value failed re-validation. */
export class FirewallBuildError extends Error {
  constructor(what: string, reason: string) {
    super(`firewall: ${what} refused: ${reason}`);
    this.name = 'FirewallBuildError';
  }
}

/** safeId checks a row id before it names an nft object (fw_r<id>, fw_a<id>_in): a positive whole number. */
export const safeId = (n: number, what: string): number => {
  if (!Number.isSafeInteger(n) || n < 1) throw new FirewallBuildError(what, `id ${String(n)} is not a positive whole number`);
  return n;
};

const setText = (items: string[]): string => (items.length === 1 ? items[0] : `{ ${items.join(', ')} }`);
const portText = (p: PortRange[]): string => setText(p.map((r) => (r.from === r.to ? String(r.from) : `${r.from}-${r.to}`)));

/** ifaceMatch is `iifname @if_metered` / `oifname "wlan0"` (one named interface wins) or '' for any interface. */
export function ifaceMatch(network: NetworkClass, iface: string | null, hook: Hook): string {
  const key = hook === 'in' ? 'iifname' : 'oifname';
  if (iface !== null) {
    if (!isIfname(iface)) throw new FirewallBuildError('interface', `'${iface}' is not an interface name`);
    return `${key} "${iface}"`;
  }
  if (network === 'metered') return `${key} @${SET_IF_METERED}`;
  if (network === 'mobile') return `${key} @${SET_IF_MOBILE}`;
  return '';
}

/** Lists parsed from a rule's canonical text; a rule that reaches here was validated, so they parse. */
interface Parts {
  v4: string[];
  v6: string[];
  local: PortRange[];
  remote: PortRange[];
}

function partsOf(r: Rule): Parts {
  const remote = parseRemote(r.remote);
  const lp = parsePorts(r.localPort);
  const rp = parsePorts(r.remotePort);
  if (!remote.ok || !lp.ok || !rp.ok) throw new FirewallBuildError('rule', 'its addresses or ports did not parse');
  return { v4: remote.value.v4, v6: remote.value.v6, local: lp.value, remote: rp.value };
}

function protoMatch(r: Rule, p: Parts, fam: 'v4' | 'v6' | null): string {
  const ports = p.local.length > 0 || p.remote.length > 0;
  if (r.protocol === 'tcp' || r.protocol === 'udp') return `meta l4proto ${r.protocol}`;
  if (r.protocol === 'icmp') return fam === 'v4' ? 'meta l4proto icmp' : fam === 'v6' ? 'meta l4proto ipv6-icmp' : 'meta l4proto { icmp, ipv6-icmp }';
  return ports ? 'meta l4proto { tcp, udp }' : '';
}

/**
 * ruleMatches renders the match part of one rule for one hook, one line per address family:
 *   iifname @if_metered ip saddr 10.10.0.0/16 meta l4proto tcp th dport 5432
 */
function ruleMatches(r: Rule, hook: Hook): string[] {
  const p = partsOf(r);
  const fams: ('v4' | 'v6' | null)[] = [];
  if (p.v4.length) fams.push('v4');
  if (p.v6.length) fams.push('v6');
  if (fams.length === 0) fams.push(null);
  const remoteKey = hook === 'in' ? 'saddr' : 'daddr';
  const [localPort, remotePort] = hook === 'in' ? ['th dport', 'th sport'] : ['th sport', 'th dport'];
  return fams.map((fam) =>
    [
      ifaceMatch(r.network, r.iface, hook),
      fam === 'v4' ? `ip ${remoteKey} ${setText(p.v4)}` : fam === 'v6' ? `ip6 ${remoteKey} ${setText(p.v6)}` : '',
      protoMatch(r, p, fam),
      p.local.length ? `${localPort} ${portText(p.local)}` : '',
      p.remote.length ? `${remotePort} ${portText(p.remote)}` : '',
    ].filter(Boolean).join(' '),
  );
}

/** ruleStatements renders one rule for one hook: matches, its named counter, the verdict and our tag. */
export function ruleStatements(id: number | 'new', r: Rule, hook: Hook): string[] {
  const counter = `counter name "${typeof id === 'number' ? fwRuleCounter(safeId(id, 'rule')) : 'fw_rnew'}"`;
  const tag = `comment "appnet:r${id}"`;
  const join = (...p: string[]) => p.filter(Boolean).join(' ');
  return ruleMatches(r, hook).flatMap((m) => {
    if (r.action === 'count') return [join(m, counter, tag)];
    if (r.action === 'allow') return [join(m, counter, 'accept', tag)];
    if (r.action === 'drop') return [join(m, counter, 'drop', tag)];
    if (r.protocol === 'tcp') return [join(m, counter, 'reject with tcp reset', tag)];
    if (r.protocol === 'udp' || r.protocol === 'icmp') return [join(m, counter, 'reject', tag)];
    // Any protocol: a TCP peer gets a reset, everything else an ICMP port-unreachable.
    const tcp = m.includes('meta l4proto { tcp, udp }') ? m.replace('meta l4proto { tcp, udp }', 'meta l4proto tcp') : join(m, 'meta l4proto tcp');
    return [join(tcp, counter, 'reject with tcp reset', tag), join(m, counter, 'reject', tag)];
  });
}

/** defaultStatements renders an app's default for one hook: a verdict, or a goto to the other-apps chain. */
export function defaultStatements(p: Policy, otherChain: string | null): string[] {
  if (p === 'allow') return ['accept comment "appnet:default"'];
  if (p === 'drop') return ['drop comment "appnet:default"'];
  if (p === 'reject') return ['meta l4proto tcp reject with tcp reset comment "appnet:default"', 'reject comment "appnet:default"'];
  return otherChain ? [`goto ${otherChain}`] : [];
}
