/**
 * Figure 11's packet-path half on its own: node --import tsx bench/destinations.ts [--rounds=N] [--object=PATH]
 * (as root; `npm run bench -- --only=destinations` runs the same and renders BENCHMARKS.md).
 * Prints the table (ratios to "off"). Figures only: nothing here is asserted by a test.
 * With --counter=nft: the same where nft counts per app (its destination sets), written to
 * bench/destinations-nft.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSandbox } from '../collector/sandbox/sandbox';
import { benchDestCost, benchDestCostNft } from './dest-cost';

const arg = process.argv.find((a) => a.startsWith('--rounds='));
const rounds = arg ? Number(arg.slice(9)) : 10;
// --object=PATH: another build of count.bpf.c (e.g. an older one, for a before/after).
const object = process.argv.find((a) => a.startsWith('--object='))?.slice(9);
const nft = process.argv.includes('--counter=nft');

async function main(): Promise<void> {
  const s = await createSandbox();
  try {
    const log = (l: string) => process.stdout.write(`${l}\n`);
    const r = nft ? await benchDestCostNft(s, { rounds, secs: 0.5, log }) : await benchDestCost(s, { rounds, secs: 0.5, object, log });
    if (nft) writeFileSync(join(import.meta.dirname, 'destinations-nft.json'), JSON.stringify({ at: new Date().toISOString(), counter: 'nft', ...r }, null, 2) + '\n');
    for (const p of r.programNs ?? []) process.stdout.write(`${p.prog} ${p.packet}: ${p.off} ns off, ${p.on} ns on\n`);
    const lines = ['| test | off-again ÷ off | on ÷ off | CPU/packet off-again ÷ off | CPU/packet on ÷ off |', '| --- | --- | --- | --- | --- |'];
    for (const t of r.tests) {
      const c = (n: string) => t.cells.find((x) => x.config === n)!;
      const ratio = (n: string) => (c(n).ratio ? `${c(n).ratio!.median.toFixed(3)} (${c(n).ratio!.min.toFixed(2)}–${c(n).ratio!.max.toFixed(2)})` : '–');
      const cpu = (n: string) => c(n).extras.cpuNsPerPacket?.ratio?.toFixed(3) ?? '–';
      lines.push(`| ${t.test} (${t.unit}) | ${ratio('off-again')} | ${ratio('on')} | ${cpu('off-again')} | ${cpu('on')} |`);
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
