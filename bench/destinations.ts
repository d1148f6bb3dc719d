/**
 * What counting destinations (issue 19) costs on the packet path: appnet's BPF program alone,
 * destinations off (the second map skipped after one array lookup) and on (a second hash
 * lookup and two atomic adds per packet), with an A/A control, interleaved rounds as in figure 1.
 * Run as root: node --import tsx bench/destinations.ts [--rounds=N]. Writes
 * bench/destinations.json and prints the table (ratios to "off"; the goal is ≤ +3 % CPU per
 * packet with destinations on). Figures only: nothing here is asserted by a test.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSandbox } from '../collector/sandbox/sandbox';
import { systemdSkeleton } from '../collector/sandbox/workloads';
import { buildBpfCounter, loadBpfCounter } from './bpf';
import { runMatrix, type Config, type TestSpec } from './matrix';
import { buildNetbench } from './traffic';

const arg = process.argv.find((a) => a.startsWith('--rounds='));
const rounds = arg ? Number(arg.slice(9)) : 6;
const TESTS: TestSpec[] = [
  { kind: 'udp64', dir: 'egress' },
  { kind: 'udp64', dir: 'ingress' },
  { kind: 'rr', dir: 'egress' },
];

async function main(): Promise<void> {
  const built = buildBpfCounter();
  if ('missing' in built) throw new Error(built.missing);
  buildNetbench();
  const s = await createSandbox();
  try {
    systemdSkeleton(s);
    const link = await s.addLink({ name: 'wwan0', subnet: 7 });
    const bpf = await loadBpfCounter(s, built.obj);
    await bpf.attach();
    const cfg = (name: string, label: string, on: boolean): Config => ({ name, label, apply: () => bpf.destinations(on) });
    const configs = [
      cfg('off', 'the BPF program, destinations off', false),
      cfg('off-again', 'the same again (A/A control: the noise floor)', false),
      cfg('on', 'the BPF program, destinations on', true),
    ];
    const tests = await runMatrix(s, link, { configs, tests: TESTS, rounds, secs: 0.5, log: (l) => process.stdout.write(`${l}\n`) });
    await bpf.detach();
    writeFileSync(join(import.meta.dirname, 'destinations.json'), JSON.stringify({ at: new Date().toISOString(), rounds, tests }, null, 2) + '\n');
    const lines = ['| test | off-again ÷ off | on ÷ off | CPU/packet off-again ÷ off | CPU/packet on ÷ off |', '| --- | --- | --- | --- | --- |'];
    for (const t of tests) {
      const c = (n: string) => t.cells.find((x) => x.config === n)!;
      const r = (n: string) => (c(n).ratio ? `${c(n).ratio!.median.toFixed(3)} (${c(n).ratio!.min.toFixed(2)}–${c(n).ratio!.max.toFixed(2)})` : '–');
      const cpu = (n: string) => {
        const v = c(n).extras.cpuNsPerPacket?.ratio;
        return v === null || v === undefined ? '–' : v.toFixed(3);
      };
      lines.push(`| ${t.test} (${t.unit}) | ${r('off-again')} | ${r('on')} | ${cpu('off-again')} | ${cpu('on')} |`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await s.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
