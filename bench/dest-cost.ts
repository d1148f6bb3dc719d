/**
 * What counting destinations (issue 19) costs on the packet path: appnet's BPF program alone,
 * destinations off (the second map skipped after one array lookup) and on (the header read, a
 * lookup in the per-CPU LRU hash and two plain adds per packet), with an A/A control,
 * interleaved rounds as in figure 1. The goal is ≤ +3 % CPU per 64-byte packet with
 * destinations on.
 */
import type { Sandbox } from '../collector/sandbox/sandbox';
import { systemdSkeleton } from '../collector/sandbox/workloads';
import { buildBpfCounter, loadBpfCounter } from './bpf';
import { runMatrix, type Config, type TestResult, type TestSpec } from './matrix';
import { buildNetbench } from './traffic';

export interface DestCostResult {
  rounds: number;
  secs: number;
  configs: Array<{ name: string; label: string }>;
  tests: TestResult[];
}

const TESTS: TestSpec[] = [
  { kind: 'udp64', dir: 'egress' },
  { kind: 'udp64', dir: 'ingress' },
  { kind: 'rr', dir: 'egress' },
];

/** benchDestCost runs the three configurations in `rounds` interleaved rounds inside the sandbox `s`. */
export async function benchDestCost(s: Sandbox, opts: { rounds: number; secs: number; log?: (line: string) => void }): Promise<DestCostResult> {
  const built = buildBpfCounter();
  if ('missing' in built) throw new Error(built.missing);
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
    return { rounds: opts.rounds, secs: opts.secs, configs: configs.map(({ name, label }) => ({ name, label })), tests };
  } finally {
    await bpf.detach();
  }
}
