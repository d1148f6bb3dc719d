/**
 * What counting destinations (issue 19) costs on the packet path: appnet's BPF program alone,
 * destinations off (the second map skipped after one array lookup) and on (a second hash
 * lookup and two atomic adds per packet), with an A/A control, interleaved rounds as in figure 1.
 * Run as root: node --import tsx bench/destinations.ts [--rounds=N] [--counter=nft]. Writes
 * bench/destinations.json and prints the table (ratios to "off"; the goal is ≤ +3 % CPU per
 * packet with destinations on). Figures only: nothing here is asserted by a test.
 *
 * With --counter=nft (written to bench/destinations-nft.json) the same against nft counting per
 * app: appnet's accounting cascade at the levels of figure 1 without and with its destination
 * sets (lib/nft/dest-sets.ts: a verdict map, then one to four rules and a second set update per
 * packet), the table made anew before every trial.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSandbox, type Sandbox } from '../collector/sandbox/sandbox';
import { systemdSkeleton } from '../collector/sandbox/workloads';
import { buildBpfCounter, loadBpfCounter } from './bpf';
import { REALISTIC_LEVELS } from './packet-path';
import { applyNft, BENCH_ELEMENT_TIMEOUT, dropTable } from './rulesets';
import { accountingCommands } from '../lib/nft/accounting';
import { runMatrix, type Config, type TestSpec } from './matrix';
import { buildNetbench } from './traffic';

const arg = process.argv.find((a) => a.startsWith('--rounds='));
const rounds = arg ? Number(arg.slice(9)) : 6;
const nft = process.argv.includes('--counter=nft');
const TESTS: TestSpec[] = [
  { kind: 'udp64', dir: 'egress' },
  { kind: 'udp64', dir: 'ingress' },
  { kind: 'rr', dir: 'egress' },
];

/** bpfConfigs: the BPF program attached once, its destinations switched per trial. */
async function bpfConfigs(s: Sandbox): Promise<{ configs: Config[]; done: () => Promise<void> }> {
  const built = buildBpfCounter();
  if ('missing' in built) throw new Error(built.missing);
  const bpf = await loadBpfCounter(s, built.obj);
  await bpf.attach();
  const cfg = (name: string, label: string, on: boolean): Config => ({ name, label, apply: () => bpf.destinations(on) });
  const configs = [
    cfg('off', 'the BPF program, destinations off', false),
    cfg('off-again', 'the same again (A/A control: the noise floor)', false),
    cfg('on', 'the BPF program, destinations on', true),
  ];
  return { configs, done: () => bpf.detach() };
}

/** nftConfigs: nft's accounting at figure 1's levels, without and with its destination sets. */
function nftConfigs(s: Sandbox): { configs: Config[]; done: () => Promise<void> } {
  const cfg = (name: string, label: string, on: boolean): Config => ({
    name,
    label,
    apply: () => applyNft(s, [...dropTable(), ...accountingCommands({ levels: REALISTIC_LEVELS, elementTimeoutSec: BENCH_ELEMENT_TIMEOUT, destinations: on })]),
  });
  const configs = [
    cfg('off', `nft accounting at levels ${REALISTIC_LEVELS.join(',')}, destinations off`, false),
    cfg('off-again', 'the same again (A/A control: the noise floor)', false),
    cfg('on', `nft accounting at levels ${REALISTIC_LEVELS.join(',')}, destinations on (their sets and chains)`, true),
  ];
  return { configs, done: () => applyNft(s, dropTable()) };
}

async function main(): Promise<void> {
  buildNetbench();
  const s = await createSandbox();
  try {
    systemdSkeleton(s);
    const link = await s.addLink({ name: 'wwan0', subnet: 7 });
    const { configs, done } = nft ? nftConfigs(s) : await bpfConfigs(s);
    const tests = await runMatrix(s, link, { configs, tests: TESTS, rounds, secs: 0.5, log: (l) => process.stdout.write(`${l}\n`) });
    await done();
    const file = nft ? 'destinations-nft.json' : 'destinations.json';
    writeFileSync(join(import.meta.dirname, file), JSON.stringify({ at: new Date().toISOString(), counter: nft ? 'nft' : 'bpf', rounds, configs: configs.map((c) => ({ name: c.name, label: c.label })), tests }, null, 2) + '\n');
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
