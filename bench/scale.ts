/**
 * Figure 2: the packet path stays flat as apps and rules grow: 10,000 tracked cgroups
 * (a counter element each way) and 500 firewall rules against a 10-app host; alongside,
 * the classic one-iptables-rule-per-app design at 10 and at 10,000 apps.
 */
import { statSync } from 'node:fs';
import type { Sandbox } from '../collector/sandbox/sandbox';
import { buildBpfCounter, loadBpfCounter } from './bpf';
import { elementCommands, makeApps } from './cgroups';
import { realisticFirewall } from './firewall';
import { runMatrix, type Config, type TestResult, type TestSpec } from './matrix';
import { desktopCgroups, liveCgroups, REALISTIC_LEVELS } from './packet-path';
import { accounting, accountingTotals, applyNft, dropTable, iptablesPerApp } from './rulesets';
import { pairedRatios, type RatioSummary } from './stats';
import { APP_CGROUP } from './traffic';

export const SCALE_TESTS: TestSpec[] = [
  { kind: 'udp64', dir: 'egress' },
  { kind: 'udp64', dir: 'ingress' },
  { kind: 'rr', dir: 'egress' },
];

export interface ScaleResult {
  apps: number;
  rules: number;
  configs: Array<{ name: string; label: string }>;
  /** Why the BPF configurations are missing, when they are. */
  bpfMissing?: string;
  rounds: number;
  secs: number;
  tests: TestResult[];
  /** iptables at `apps` ÷ iptables at 10, per test (paired per round). */
  iptablesDegradation: Record<string, RatioSummary>;
  /** appnet (bpf) at `apps` ÷ appnet (bpf) at 10, per test (paired per round); absent without BPF. */
  bpfDegradation?: Record<string, RatioSummary>;
}

/** Removes the iptables-nft table of the sandbox (iptables -F leaves its hooks registered). */
const dropIptables = ['add table ip filter', 'delete table ip filter'];

/** degradation is config `scaled` ÷ config `small` per test, paired per round. */
function degradation(tests: TestResult[], small: string, scaled: string): Record<string, RatioSummary> {
  const values = (t: TestResult, config: string) => t.cells.find((c) => c.config === config)?.trials.map((x) => x.value) ?? [];
  return Object.fromEntries(tests.map((t) => [t.test, pairedRatios(values(t, small), values(t, scaled))]));
}

/** benchScale runs figure 2 with `apps` tracked cgroups and `rules` firewall rules. */
export async function benchScale(s: Sandbox, opts: { apps: number; rules: number; rounds: number; secs: number; log?: (l: string) => void }): Promise<ScaleResult> {
  const link = s.links.find((l) => l.name === 'wwan0') ?? (await s.addLink({ name: 'wwan0', subnet: 7 }));
  const small = desktopCgroups(s);
  const many = makeApps(s, opts.apps);
  const all = liveCgroups(s);
  const fwSmall = realisticFirewall({ measured: APP_CGROUP, appCgroups: small, maxRules: 12, allCgroups: all, iface: link.name });
  const fwBig = realisticFirewall({ measured: APP_CGROUP, appCgroups: [...small, ...many], maxRules: opts.rules, allCgroups: all, iface: link.name });
  const smallElems = elementCommands([...small, APP_CGROUP], link.name);
  const bigElems = elementCommands([...small, ...many, APP_CGROUP], link.name);
  const mid = Math.floor(many.length / 2);
  const ipt = (n: number) => {
    const list = many.slice(0, n);
    const at = Math.floor(list.length / 2);
    return iptablesPerApp([...list.slice(0, at), APP_CGROUP, ...list.slice(at)]);
  };
  // Every configuration settles as long as the biggest needs: the table it replaces may be the big one.
  const settleMs = 1500;
  // The BPF source (issue 15): the program counts per app; its map holds an entry per (cgroup,
  // interface, direction) that carried traffic, so 10,000 tracked apps are 20,000 entries in it.
  const built = buildBpfCounter();
  const bpf = 'obj' in built ? await loadBpfCounter(s, built.obj) : null;
  if ('missing' in built) opts.log?.(`  no BPF configurations: ${built.missing}`);
  const ifindex = bpf ? (JSON.parse(await s.execOk(['ip', '-j', 'link', 'show', link.name])) as Array<{ ifindex: number }>)[0].ifindex : 0;
  const manyIds = many.map((c) => statSync(s.cgroupPath(c), { bigint: true }).ino);
  let filled = false;
  const bpfCfg = (name: string, label: string, cmds: string[], full: boolean): Config => ({
    name,
    label,
    settleMs,
    async apply() {
      await bpf!.detach();
      await applyNft(s, [...dropIptables, ...dropTable(), ...cmds]);
      if (filled !== full) {
        await bpf!.fill(manyIds, ifindex, !full);
        filled = full;
      }
      await bpf!.attach();
    },
  });
  const nftCfg = (name: string, label: string, cmds: string[]): Config => ({
    name,
    label,
    settleMs,
    async apply() {
      // The nft and iptables configurations run without the program attached.
      await bpf?.detach();
      await applyNft(s, [...dropIptables, ...dropTable(), ...cmds]);
    },
  });
  const iptCfg = (name: string, label: string, restore: string): Config => ({
    name,
    label,
    settleMs,
    async apply() {
      await bpf?.detach();
      await applyNft(s, [...dropIptables, ...dropTable()]);
      await s.execOk(['iptables-restore'], { input: restore, timeoutMs: 600_000 });
    },
  });
  const bpfConfigs: Config[] = bpf
    ? [
        bpfCfg('appnet-bpf-10', `appnet (bpf): the BPF program counts per app (each interface's total from its own statistics), firewall of ${fwSmall.rules} rules; 10 apps tracked`, [...accountingTotals(), ...fwSmall.commands], false),
        bpfCfg('appnet-bpf-scaled', `appnet (bpf), ${opts.apps} more apps tracked (${2 * opts.apps} more entries in the program's map), ${fwBig.rules} firewall rules for ${fwBig.apps} apps`, [...accountingTotals(), ...fwBig.commands], true),
      ]
    : [];
  const configs: Config[] = [
    nftCfg('appnet-10', `appnet (accounting at levels ${REALISTIC_LEVELS.join(',')} + firewall, ${fwSmall.rules} rules), 10 apps tracked`, [...accounting(REALISTIC_LEVELS), ...fwSmall.commands, ...smallElems]),
    nftCfg('appnet-scaled', `appnet, ${opts.apps} more apps tracked (${opts.apps + 11} counter elements each way), ${fwBig.rules} firewall rules for ${fwBig.apps} apps`, [
      ...accounting(REALISTIC_LEVELS),
      ...fwBig.commands,
      ...bigElems,
    ]),
    iptCfg('iptables-10', 'classic: one `iptables -m cgroup --path` rule per app, 10 apps, measured app in the middle', ipt(10)),
    iptCfg('iptables-scaled', `classic: one iptables rule per app, ${opts.apps} apps, measured app in the middle (rule ${mid + 1})`, ipt(opts.apps)),
    ...bpfConfigs,
  ];
  try {
    const tests = await runMatrix(s, link, { configs, tests: SCALE_TESTS, rounds: opts.rounds, secs: opts.secs, log: opts.log });
    const iptablesDegradation = degradation(tests, 'iptables-10', 'iptables-scaled');
    const bpfDegradation = bpf ? degradation(tests, 'appnet-bpf-10', 'appnet-bpf-scaled') : undefined;
    return { apps: opts.apps, rules: fwBig.rules, configs: configs.map((c) => ({ name: c.name, label: c.label })), bpfMissing: 'missing' in built ? built.missing : undefined, rounds: opts.rounds, secs: opts.secs, tests, iptablesDegradation, bpfDegradation };
  } finally {
    await bpf?.detach();
    await applyNft(s, [...dropIptables, ...dropTable()]);
  }
}
