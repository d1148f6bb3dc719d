/**
 * Figure 1: packet-path cost of appnet's ruleset on a veth link to the peer namespace,
 * against no ruleset, a single plain `counter` rule and the naive 8-level cascade; and,
 * since any restricting rule needs conntrack, against a host that already tracks
 * connections (any stateful firewall does), to show appnet's own marginal cost.
 */
import type { Link, Sandbox } from '../collector/sandbox/sandbox';
import { runMatrix, type Config, type TestResult, type TestSpec } from './matrix';
import { cgroupIdMap } from './cgroups';
import { realisticFirewall } from './firewall';
import { accounting, accountingTotals, applyNft, conntrackOn, dropConntrackOn, dropTable, plainCounter } from './rulesets';
import { APP_CGROUP } from './traffic';
import { buildBpfCounter, loadBpfCounter, type BpfCounter } from './bpf';

/**
 * Levels a systemd desktop populates, as the sandbox's systemd skeleton does (collector/sandbox/
 * workloads.ts): init.scope (1), services (2), login sessions and getty@ instances (3), the user
 * manager's init.scope (4), desktop app scopes and user services (5). The collector looks up every
 * populated level, deepest first.
 */
export const REALISTIC_LEVELS = [1, 2, 3, 4, 5];

const USER_APPS = 'user.slice/user-1000.slice/user@1000.service/app.slice';

/** desktopCgroups makes a small desktop host's tree: five services (level 2) and five app scopes (level 5). */
export function desktopCgroups(s: Sandbox): string[] {
  const out: string[] = [];
  for (let i = 0; i < 5; i++) {
    out.push(`system.slice/app-${i}.service`, `${USER_APPS}/app-gnome-app${i}-${1000 + i}.scope`);
  }
  for (const c of [...out, APP_CGROUP]) s.mkCgroup(c);
  return out;
}

/** liveCgroups lists every cgroup path in the sandbox, as the collector would pass to the firewall builder. */
export function liveCgroups(s: Sandbox): string[] {
  return [...cgroupIdMap(s.cgroupDir).values()];
}

/**
 * packetPathConfigs are the configurations figure 1 compares; the first is the baseline. With
 * `bpf` (appnet's cgroup_skb counter, loaded by bench/bpf.ts) come appnet as it runs where BPF
 * loads (`--counter bpf`/`auto`), with and without its rules, and the counter on its own.
 */
export function packetPathConfigs(s: Sandbox, link: Link, bpf: BpfCounter | null = null): Config[] {
  const apps = desktopCgroups(s);
  const fw = realisticFirewall({ measured: APP_CGROUP, appCgroups: apps, maxRules: 12, allCgroups: liveCgroups(s), iface: link.name });
  const cfg = (name: string, label: string, cmds: string[], withBpf = false): Config => ({
    name,
    label,
    apply: async () => {
      await bpf?.detach();
      await applyNft(s, [...dropConntrackOn(), ...dropTable(), ...cmds]);
      if (withBpf) await bpf!.attach();
    },
  });
  const appnet = [...accounting(REALISTIC_LEVELS), ...fw.commands];
  const bpfConfigs = bpf
    ? [
        cfg('appnet-bpf', `appnet (bpf): appnet's cgroup_skb program (collector/native/count.bpf.c) counts per app, attached to system.slice; each interface's total comes from its own statistics (no per-packet work); plus the same firewall as **appnet** (${fw.rules} rules)`, [...accountingTotals(), ...fw.commands], true),
        cfg('appnet-bpf-norules', "appnet (bpf), no rules: the BPF program and appnet's table as the collector keeps it with no rules and destinations off (no chain)", accountingTotals(), true),
        cfg('bpf-count', "appnet's BPF program alone: no nftables ruleset at all", [], true),
        cfg('bpf-count+fw', "the BPF program plus appnet's firewall alone (the same as **appnet-bpf** since the totals come from the interfaces' statistics)", fw.commands, true),
      ]
    : [];
  return [
    cfg('none', 'no nftables ruleset at all', []),
    cfg('none-again', 'no ruleset again: an A/A control, whose ratio to **none** is what two identical configurations measure on this machine (the noise floor of every other ratio)', []),
    cfg('counter', 'one plain `counter` rule on input and on output', plainCounter()),
    cfg('appnet', `appnet: accounting at levels ${REALISTIC_LEVELS.join(',')} + firewall (lib/nft/firewall.ts) with ${fw.rules} rules for ${fw.apps} apps, dispatch lookups at levels ${fw.hookLevels.in.join(',') || 'none'} inbound and ${fw.hookLevels.out.join(',') || 'none'} outbound${fw.conntrack ? ', conntrack on (its drop rules exempt replies)' : ''}`, appnet),
    cfg('appnet-noct', 'the appnet configuration without its `ct direction reply accept` lines (attribution only: replies are no longer exempt)', appnet.filter((c) => !c.includes(' ct direction '))),
    cfg('conntrack', 'a host that already tracks connections: one `ct state established,related accept` rule in a table of its own', conntrackOn()),
    cfg('appnet+conntrack', 'the appnet configuration on that host', [...conntrackOn(), ...appnet]),
    cfg('acct-only', `appnet accounting at levels ${REALISTIC_LEVELS.join(',')}, no firewall`, accounting(REALISTIC_LEVELS)),
    cfg('cascade8', 'naive cascade: accounting at levels 1..8', accounting([1, 2, 3, 4, 5, 6, 7, 8])),
    ...bpfConfigs,
  ];
}

export const PACKET_PATH_TESTS: TestSpec[] = [
  { kind: 'udp64', dir: 'egress' },
  { kind: 'udp64', dir: 'ingress' },
  { kind: 'tcp', dir: 'egress' },
  { kind: 'tcp', dir: 'ingress' },
  { kind: 'rr', dir: 'egress' },
  { kind: 'rr', dir: 'ingress' },
];

export interface PacketPathResult {
  configs: Array<{ name: string; label: string }>;
  /** Why the BPF comparison is missing, or what its counter saw (it must have counted the traffic). */
  bpf?: { missing: string } | { packets: { ingress: number; egress: number } };
  rounds: number;
  secs: number;
  appCgroup: string;
  tests: TestResult[];
}

/** benchPacketPath runs figure 1 in the given sandbox. */
export async function benchPacketPath(s: Sandbox, opts: { rounds: number; secs: number; log?: (l: string) => void }): Promise<PacketPathResult> {
  const link = s.links.find((l) => l.name === 'wwan0') ?? (await s.addLink({ name: 'wwan0', subnet: 7 }));
  const built = buildBpfCounter();
  const bpf = 'obj' in built ? await loadBpfCounter(s, built.obj) : null;
  if ('missing' in built) opts.log?.(`  no BPF comparison: ${built.missing}`);
  const configs = packetPathConfigs(s, link, bpf);
  try {
    const tests = await runMatrix(s, link, { configs, tests: PACKET_PATH_TESTS, rounds: opts.rounds, secs: opts.secs, log: opts.log });
    let bpfResult: PacketPathResult['bpf'] = 'missing' in built ? built : undefined;
    if (bpf) {
      // A counter that counted nothing would make its configurations look free: refuse that.
      const packets = await bpf.packets();
      if (packets.ingress === 0 || packets.egress === 0) throw new Error(`the BPF counter saw no traffic (ingress ${packets.ingress}, egress ${packets.egress} packets): its figures would be meaningless`);
      bpfResult = { packets };
    }
    return { configs: configs.map((c) => ({ name: c.name, label: c.label })), bpf: bpfResult, rounds: opts.rounds, secs: opts.secs, appCgroup: APP_CGROUP, tests };
  } finally {
    await bpf?.detach();
    await applyNft(s, [...dropConntrackOn(), ...dropTable()]);
  }
}
