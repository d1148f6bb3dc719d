/**
 * Figure 1b: what each interface's totals cost next to the BPF counter. Where the program counts
 * per app, nft counted every interface's total each way until 2026-12-03, so that unattributed
 * traffic is the interface's total less the apps'. Figure 1 measured that table dearer than the
 * program itself (the interfaces' own statistics give the totals since, at no cost per packet);
 * this splits the cost: the base chains alone (a plain counter), the dynamic sets keyed by
 * interface name (`update @iface_out { oifname }`), and two static shapes the collector could
 * keep up to date as interfaces come and go (a named counter per interface picked through an
 * objref map; a verdict map that jumps to a chain of one counter per interface, with the dynamic
 * set only for interfaces it does not know yet), and no nft at all: a tc (clsact) BPF program on
 * each interface counting per (ifindex, direction) (bench/tools/tccount.bpf.c).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Link, Sandbox } from '../collector/sandbox/sandbox';
import { TABLE_FAMILY, TABLE_NAME } from '../lib/nft/names';
import { BPFTOOL, buildBpfCounter, loadBpfCounter } from './bpf';
import { runMatrix, type Config, type TestResult, type TestSpec } from './matrix';
import { desktopCgroups } from './packet-path';
import { applyNft, dropConntrackOn, dropTable, plainCounter } from './rulesets';
import { APP_CGROUP, buildTool, OUT_DIR } from './traffic';

const TC_SRC = join(import.meta.dirname, 'tools', 'tccount.bpf.c');
const TC_OBJ = join(OUT_DIR, 'tccount.bpf.o');
const TC_PIN = '/sys/fs/bpf/appnet-bench-tc';

/** buildTcCounter compiles bench/tools/tccount.bpf.c (clang) once; null when it cannot. */
function buildTcCounter(): string | null {
  try {
    const multiarch = execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim();
    return buildTool(TC_SRC, TC_OBJ, ['clang', '-O2', '-g', '-target', 'bpf', `-I/usr/include/${multiarch}`, '-c', TC_SRC, '-o', TC_OBJ]);
  } catch {
    return null;
  }
}

const T = `${TABLE_FAMILY} ${TABLE_NAME}`;

const TOTALS_TESTS: TestSpec[] = [
  { kind: 'udp64', dir: 'egress' },
  { kind: 'udp64', dir: 'ingress' },
];

export interface TotalsResult {
  configs: Array<{ name: string; label: string }>;
  rounds: number;
  secs: number;
  appCgroup: string;
  tests: TestResult[];
}

/** The base chains of the totals (input, output, forward), as appnet named them while nft counted the totals. */
function chains(): string[] {
  return [
    `add table ${T}`,
    `add chain ${T} acct_input { type filter hook input priority -10; policy accept; }`,
    `add chain ${T} acct_output { type filter hook output priority 300; policy accept; }`,
    `add chain ${T} acct_forward { type filter hook forward priority -300; policy accept; }`,
  ];
}

/** dynamicSets: the base chains and the dynamic per-interface-name sets that counted the totals until 2026-12-03. */
function dynamicSets(): string[] {
  return [
    ...chains(),
    `add set ${T} iface_in { typeof iifname; flags dynamic; size 4096; counter; }`,
    `add set ${T} iface_out { typeof oifname; flags dynamic; size 4096; counter; }`,
  ];
}

/**
 * dynsetTotals: the totals as appnet's table counted them next to the program until 2026-12-03
 * (dynamic sets keyed by interface name, and DNS answers logged for destinations' host names).
 */
function dynsetTotals(): string[] {
  return [
    ...dynamicSets(),
    `add rule ${T} acct_input update @iface_in { iifname }`,
    `add rule ${T} acct_input udp sport 53 log group 7171`,
    `add rule ${T} acct_output update @iface_out { oifname }`,
    `add rule ${T} acct_forward update @iface_in { iifname } update @iface_out { oifname }`,
  ];
}

/** objrefTotals: one named counter per interface and direction, picked by the interface's name. */
function objrefTotals(ifaces: string[]): string[] {
  const out = [...chains(), `add map ${T} ifc_in { type ifname : counter; }`, `add map ${T} ifc_out { type ifname : counter; }`];
  for (const i of ifaces) {
    out.push(`add counter ${T} tot_in_${i}`, `add counter ${T} tot_out_${i}`);
    out.push(`add element ${T} ifc_in { "${i}" : "tot_in_${i}" }`, `add element ${T} ifc_out { "${i}" : "tot_out_${i}" }`);
  }
  out.push(`add rule ${T} acct_input counter name iifname map @ifc_in`, `add rule ${T} acct_output counter name oifname map @ifc_out`);
  out.push(`add rule ${T} acct_forward counter name iifname map @ifc_in counter name oifname map @ifc_out`);
  return out;
}

/** vmapTotals: a verdict map sends known interfaces to a chain holding their counter; others fill the dynamic set. */
function vmapTotals(ifaces: string[]): string[] {
  const out = [
    ...dynamicSets(),
    `add map ${T} known_in { type ifname : verdict; }`,
    `add map ${T} known_out { type ifname : verdict; }`,
  ];
  for (const i of ifaces) {
    for (const d of ['in', 'out']) {
      out.push(`add chain ${T} tot_${d}_${i}`, `add rule ${T} tot_${d}_${i} counter`, `add element ${T} known_${d} { "${i}" : goto tot_${d}_${i} }`);
    }
  }
  out.push(`add rule ${T} acct_input iifname vmap @known_in`, `add rule ${T} acct_input update @iface_in { iifname }`);
  out.push(`add rule ${T} acct_output oifname vmap @known_out`, `add rule ${T} acct_output update @iface_out { oifname }`);
  out.push(`add rule ${T} acct_forward update @iface_in { iifname } update @iface_out { oifname }`);
  return out;
}

/**
 * linearTotals: one rule per known interface, `oifname "wwan0" counter accept` (a 16-byte compare
 * and a counter, no map; accept ends only this base chain), the dynamic set for the others.
 */
function linearTotals(ifaces: string[]): string[] {
  const out = dynamicSets();
  for (const i of ifaces) out.push(`add rule ${T} acct_input iifname "${i}" counter accept`, `add rule ${T} acct_output oifname "${i}" counter accept`);
  out.push(`add rule ${T} acct_input update @iface_in { iifname }`, `add rule ${T} acct_output update @iface_out { oifname }`);
  out.push(`add rule ${T} acct_forward update @iface_in { iifname } update @iface_out { oifname }`);
  return out;
}

/** benchTotals runs figure 1b in the given sandbox; null when the BPF counter is not built. */
export async function benchTotals(s: Sandbox, opts: { rounds: number; secs: number; log?: (l: string) => void }): Promise<TotalsResult | null> {
  const link: Link = s.links.find((l) => l.name === 'wwan0') ?? (await s.addLink({ name: 'wwan0', subnet: 7 }));
  desktopCgroups(s);
  const built = buildBpfCounter();
  if ('missing' in built) {
    opts.log?.(`  no figure 1b: ${built.missing}`);
    return null;
  }
  const bpf = await loadBpfCounter(s, built.obj);
  // buildBpfCounter found bpftool.
  const bpftool = BPFTOOL!;
  const ifaces = ['lo', link.name];
  // The tc counter: loaded once (its programs pinned), attached to both interfaces only in its configuration.
  const tcObj = buildTcCounter();
  if (tcObj) await s.execOk([bpftool, 'prog', 'loadall', tcObj, TC_PIN, 'type', 'classifier', 'pinmaps', `${TC_PIN}-maps`]);
  else opts.log?.('  no bpf+tc configuration: bench/tools/tccount.bpf.c did not build');
  const tcOff = async () => {
    for (const i of ifaces) await s.exec(['tc', 'qdisc', 'del', 'dev', i, 'clsact']);
  };
  const tcOn = async () => {
    for (const i of ifaces) {
      await s.execOk(['tc', 'qdisc', 'replace', 'dev', i, 'clsact']);
      await s.execOk(['tc', 'filter', 'add', 'dev', i, 'ingress', 'bpf', 'da', 'object-pinned', `${TC_PIN}/tc_in`]);
      await s.execOk(['tc', 'filter', 'add', 'dev', i, 'egress', 'bpf', 'da', 'object-pinned', `${TC_PIN}/tc_out`]);
    }
  };
  const cfg = (name: string, label: string, cmds: string[], withBpf: boolean, withTc = false): Config => ({
    name,
    label,
    apply: async () => {
      await bpf.detach();
      await tcOff();
      await applyNft(s, [...dropConntrackOn(), ...dropTable(), ...cmds]);
      if (withBpf) await bpf.attach();
      if (withTc) await tcOn();
    },
  });
  const configs: Config[] = [
    cfg('none', 'no nftables ruleset, no BPF program', [], false),
    cfg('none-again', 'the same again: the A/A control (noise floor)', [], false),
    cfg('bpf-count', "appnet's BPF program alone", [], true),
    cfg('bpf+counter', 'the BPF program + one plain `counter` rule on input and on output (the base chains alone: the least any nft totals can cost)', plainCounter(), true),
    cfg('bpf+dynset', 'the BPF program + the totals as nft counted them until 2026-12-03: dynamic sets keyed by interface name on input, output and forward', dynsetTotals(), true),
    cfg('bpf+objref', `the BPF program + a named counter per interface picked by an objref map (${ifaces.join(', ')}; unknown interfaces would go uncounted)`, objrefTotals(ifaces), true),
    cfg('bpf+linear', `the BPF program + one \`oifname "…" counter accept\` rule per known interface (${ifaces.join(', ')}; the measured one is last), the dynamic set only for unknown ones`, linearTotals(ifaces), true),
    ...(tcObj ? [cfg('bpf+tc', `the BPF program + a tc (clsact) BPF program on each interface (${ifaces.join(', ')}) counting per (ifindex, direction) in a per-CPU hash (bench/tools/tccount.bpf.c): no nft at all`, [], true, true)] : []),
    cfg('bpf+vmap', 'the BPF program + a verdict map to a one-counter chain per known interface, the dynamic set only for unknown ones', vmapTotals(ifaces), true),
  ];
  try {
    const tests = await runMatrix(s, link, { configs, tests: TOTALS_TESTS, rounds: opts.rounds, secs: opts.secs, log: opts.log });
    if (tcObj) {
      // A tc counter that counted nothing would look free: refuse that.
      const dump = JSON.parse(await s.execOk([bpftool, '-j', 'map', 'dump', 'pinned', `${TC_PIN}-maps/totals`])) as Array<{ formatted: { values: Array<{ value: { packets: number } }> } }>;
      const packets = dump.reduce((n, e) => n + e.formatted.values.reduce((m, v) => m + Number(v.value.packets), 0), 0);
      if (packets === 0) throw new Error('the tc counter counted no packets: its figures would be meaningless');
    }
    return { configs: configs.map((c) => ({ name: c.name, label: c.label })), rounds: opts.rounds, secs: opts.secs, appCgroup: APP_CGROUP, tests };
  } finally {
    await bpf.detach();
    await tcOff();
    await applyNft(s, [...dropConntrackOn(), ...dropTable()]);
  }
}
