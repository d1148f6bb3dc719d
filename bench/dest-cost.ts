/**
 * What counting destinations (issue 19) costs on the packet path: appnet's BPF program alone,
 * destinations off (the second map skipped after one array lookup) and on (the header read, a
 * lookup in the per-CPU LRU hash and two plain adds per packet), with an A/A control,
 * interleaved rounds as in figure 1. The goal is ≤ +3 % CPU per 64-byte packet with
 * destinations on.
 */
import { join } from 'node:path';
import type { Sandbox } from '../collector/sandbox/sandbox';
import { median } from './stats';
import { systemdSkeleton } from '../collector/sandbox/workloads';
import { buildBpfCounter, loadBpfCounter } from './bpf';
import { runMatrix, type Config, type TestResult, type TestSpec } from './matrix';
import { buildNetbench, buildTool, OUT_DIR } from './traffic';
import { REALISTIC_LEVELS } from './packet-path';
import { accounting, applyNft, dropTable } from './rulesets';

export interface DestCostResult {
  rounds: number;
  secs: number;
  configs: Array<{ name: string; label: string }>;
  tests: TestResult[];
  /** The program alone, BPF_PROG_TEST_RUN on one 64-byte packet, median ns per run (off, on) over rounds. */
  programNs?: Array<{ prog: string; packet: string; off: number; on: number }>;
}

const BPFRUN_SRC = join(import.meta.dirname, 'tools', 'bpfrun.c');
const BPFRUN = join(OUT_DIR, 'bpfrun');

/** buildBpfRun compiles bench/tools/bpfrun.c once (cc, libbpf) and returns its path. */
function buildBpfRun(): string {
  return buildTool(BPFRUN_SRC, BPFRUN, ['cc', '-O2', '-Wall', '-o', BPFRUN, BPFRUN_SRC, '-lbpf']);
}

/**
 * programNs times the two programs alone in the sandbox (loaded unattached: no packet of the
 * sandbox is counted by this copy), destinations off and on, `rounds` rounds of `repeat` runs.
 */
async function programNs(s: Sandbox, obj: string, opts: { repeat: number; rounds: number }): Promise<DestCostResult['programNs']> {
  const out = await s.execOk([buildBpfRun(), obj, String(opts.repeat), String(opts.rounds)], { timeoutMs: 600_000 });
  const runs = out.trim().split('\n').map((l) => JSON.parse(l) as { prog: string; packet: string; dests: number; ns: number });
  const keys = [...new Set(runs.map((r) => `${r.prog} ${r.packet}`))];
  return keys.map((k) => {
    const [prog, packet] = k.split(' ');
    const ns = (on: number) => median(runs.filter((r) => r.prog === prog && r.packet === packet && r.dests === on).map((r) => r.ns));
    return { prog, packet, off: ns(0), on: ns(1) };
  });
}

const TESTS: TestSpec[] = [
  { kind: 'udp64', dir: 'egress' },
  { kind: 'udp64', dir: 'ingress' },
  { kind: 'rr', dir: 'egress' },
];

/** benchDestCost runs the three configurations in `rounds` interleaved rounds inside the sandbox `s`. */
export async function benchDestCost(s: Sandbox, opts: { rounds: number; secs: number; object?: string; log?: (line: string) => void }): Promise<DestCostResult> {
  const built = opts.object ? { obj: opts.object } : buildBpfCounter();
  if ('missing' in built) throw new Error(built.missing);
  const alone = await programNs(s, built.obj, { repeat: 1_000_000, rounds: Math.max(3, opts.rounds) });
  buildNetbench();
  systemdSkeleton(s);
  const link = await s.addLink({ name: 'wwan0', subnet: 7 });
  const bpf = await loadBpfCounter(s, built.obj);
  await bpf.attach();
  try {
    const cfg = (name: string, label: string, on: boolean): Config => ({ name, label, apply: () => bpf.destinations(on) });
    const configs = [
      cfg('off', 'the BPF program, destinations off', false),
      cfg('off-again', 'the same again (A/A control: the noise floor)', false),
      cfg('on', 'the BPF program, destinations on', true),
    ];
    const tests = await runMatrix(s, link, { configs, tests: TESTS, rounds: opts.rounds, secs: opts.secs, log: opts.log });
    return { rounds: opts.rounds, secs: opts.secs, configs: configs.map(({ name, label }) => ({ name, label })), tests, programNs: alone };
  } finally {
    await bpf.detach();
  }
}

/**
 * benchDestCostNft is the same where nft counts per app: appnet's accounting cascade at figure
 * 1's levels without and with its destination sets (lib/nft/dest-sets.ts: a verdict map, then
 * one to four rules and a second set update per packet), the table made anew before every trial.
 */
export async function benchDestCostNft(s: Sandbox, opts: { rounds: number; secs: number; log?: (line: string) => void }): Promise<DestCostResult> {
  buildNetbench();
  systemdSkeleton(s);
  const link = await s.addLink({ name: 'wwan0', subnet: 7 });
  const cfg = (name: string, label: string, on: boolean): Config => ({
    name,
    label,
    apply: () => applyNft(s, [...dropTable(), ...accounting(REALISTIC_LEVELS, on)]),
  });
  const configs = [
    cfg('off', `nft accounting at levels ${REALISTIC_LEVELS.join(',')}, destinations off`, false),
    cfg('off-again', 'the same again (A/A control: the noise floor)', false),
    cfg('on', `nft accounting at levels ${REALISTIC_LEVELS.join(',')}, destinations on (their sets and chains)`, true),
  ];
  try {
    const tests = await runMatrix(s, link, { configs, tests: TESTS, rounds: opts.rounds, secs: opts.secs, log: opts.log });
    return { rounds: opts.rounds, secs: opts.secs, configs: configs.map(({ name, label }) => ({ name, label })), tests };
  } finally {
    await applyNft(s, dropTable());
  }
}
