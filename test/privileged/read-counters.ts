/**
 * Runs INSIDE a sandbox for counter-reader.test.ts: reads our table twice through the
 * collector's counterReader, with the given helper path ('-' for none), and prints what
 * it read as one JSON line (elements keyed by id, the path each read took, what was logged).
 *   node --import tsx test/privileged/read-counters.ts HELPER|-
 */
import { counterReader, NFTDUMP_BIN } from '../../collector/nft/counters';
import { CgroupTracker } from '../../collector/sources/cgroups';

const arg = process.argv[2] ?? NFTDUMP_BIN;
const logs: string[] = [];
const reader = counterReader({ nftdumpBin: arg === '-' ? null : arg, nftBin: 'nft', runDir: '/run/appnet-test', log: (level, msg) => logs.push(`${level}: ${msg}`) });
const tracker = new CgroupTracker('/sys/fs/cgroup', { watch: false });
const reads = [];
for (let i = 0; i < 2; i++) {
  const r = await reader.read();
  if (!r) throw new Error('no appnet table');
  const elements = r.snapshot.elements
    .map((e) => `${e.set} ${typeof e.cgroup === 'string' ? tracker.idOfPath(e.cgroup) : e.cgroup} ${e.iface} ${e.bytes} ${e.packets}`)
    .sort();
  reads.push({ via: r.via, elements, rules: [...r.firewall.rules], quotas: [...r.firewall.quotas], handle: r.snapshot.tableHandle });
}
await reader.close();
process.stdout.write(JSON.stringify({ reads, logs }) + '\n');
