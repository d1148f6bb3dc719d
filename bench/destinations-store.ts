/**
 * Figure 11's store half on its own: node --import tsx bench/destinations-store.ts [--days=N]
 * (`npm run bench -- --only=destinationsStore` runs the same and renders BENCHMARKS.md). Prints
 * the result as JSON. Figures only: nothing here is asserted by a test.
 */
import { benchDestStore } from './dest-store';

const arg = process.argv.find((a) => a.startsWith('--days='));
const days = arg ? Number(arg.slice(7)) : 365;
const r = benchDestStore({ days, log: (l) => process.stdout.write(`${l}\n`) });
process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
