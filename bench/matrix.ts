/**
 * runMatrix: the A/B engine of the packet-path benchmarks. Each round runs every test
 * under every configuration, configurations interleaved (and their order rotated per
 * round) so a noisy neighbour hits them all alike; ratios are then taken per round.
 */
import type { Link, Sandbox } from '../collector/sandbox/sandbox';
import { median, pairedRatios, summarize, type RatioSummary, type Summary } from './stats';
import { startTcpServers, tcpRr, tcpThroughput, udpPps, type Direction, type Server } from './traffic';

export interface Config {
  name: string;
  /** One sentence for the report. */
  label: string;
  /** Puts the sandbox into this configuration (idempotent; called before every trial). */
  apply(): Promise<void>;
  /**
   * Pause after apply before the trial starts (default SETTLE_MS): replacing a table with
   * thousands of elements leaves the kernel freeing the old one and resizing the new hash
   * tables in workers, which would otherwise run during the trial and be charged to it.
   */
  settleMs?: number;
}

const SETTLE_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type TestKind = 'udp64' | 'tcp' | 'rr';

export interface TestSpec {
  kind: TestKind;
  dir: Direction;
}

/** Metrics kept per trial; `value` is the figure the ratio is taken on. */
export interface Trial {
  value: number;
  extra?: Record<string, number>;
}

export interface CellResult {
  config: string;
  summary: Summary;
  /** This configuration ÷ the baseline, paired per round (for latency: p99 ÷ p99). */
  ratio: RatioSummary | null;
  /** Median and paired ratio of each extra metric (e.g. CPU ns per packet, p50). */
  extras: Record<string, { median: number; ratio: number | null }>;
  trials: Trial[];
}

export interface TestResult {
  test: string;
  unit: string;
  /** Higher is better (throughput) or lower is better (latency). */
  better: 'higher' | 'lower';
  cells: CellResult[];
}

const PORTS = { egress: { iperf: 5201, rr: 5301 }, ingress: { iperf: 5202, rr: 5302 } };

/** testName is the stable key of a test in results.json. */
export function testName(t: TestSpec): string {
  return `${t.kind}-${t.dir}`;
}

async function runTrial(s: Sandbox, link: Link, t: TestSpec, secs: number): Promise<Trial> {
  if (t.kind === 'udp64') {
    const r = await udpPps(s, link, t.dir, { secs, len: 64 });
    return { value: r.pps, extra: { sent: r.sent, received: r.received, cpuNsPerPacket: r.cpuNsPerPacket } };
  }
  if (t.kind === 'tcp') return { value: await tcpThroughput(s, link, t.dir, { secs, port: PORTS[t.dir].iperf }) };
  const r = await tcpRr(s, link, t.dir, { secs, port: PORTS[t.dir].rr });
  return { value: r.p99Us, extra: { p50Us: r.p50Us, meanUs: r.meanUs, n: r.n } };
}

const UNITS: Record<TestKind, { unit: string; better: 'higher' | 'lower' }> = {
  udp64: { unit: 'packets/s received', better: 'higher' },
  tcp: { unit: 'bits/s received', better: 'higher' },
  rr: { unit: 'p99 round trip, µs', better: 'lower' },
};

/**
 * runMatrix runs `rounds` rounds of every test under every configuration; the first
 * configuration is the baseline of the ratios. `log` gets one line per trial.
 */
export async function runMatrix(
  s: Sandbox,
  link: Link,
  opts: { configs: Config[]; tests: TestSpec[]; rounds: number; secs: number; log?: (line: string) => void },
): Promise<TestResult[]> {
  const servers: Server[] = [];
  const samples = new Map<string, Map<string, Trial[]>>();
  try {
    const needTcp = opts.tests.filter((t) => t.kind !== 'udp64').map((t) => t.dir);
    for (const dir of new Set(needTcp)) servers.push(await startTcpServers(s, link, dir, PORTS[dir]));
    for (let round = 0; round < opts.rounds; round++) {
      for (const t of opts.tests) {
        const name = testName(t);
        const byConfig = samples.get(name) ?? new Map<string, Trial[]>();
        samples.set(name, byConfig);
        const n = opts.configs.length;
        for (let k = 0; k < n; k++) {
          const c = opts.configs[(k + round) % n];
          await c.apply();
          await sleep(c.settleMs ?? SETTLE_MS);
          const trial = await runTrial(s, link, t, opts.secs);
          (byConfig.get(c.name) ?? byConfig.set(c.name, []).get(c.name)!).push(trial);
          opts.log?.(`  round ${round + 1}/${opts.rounds} ${name} ${c.name}: ${trial.value.toFixed(1)}`);
        }
      }
    }
  } finally {
    for (const srv of servers) await srv.stop();
  }
  const base = opts.configs[0].name;
  return opts.tests.map((t) => {
    const byConfig = samples.get(testName(t)) ?? new Map<string, Trial[]>();
    const baseVals = (byConfig.get(base) ?? []).map((x) => x.value);
    return {
      test: testName(t),
      ...UNITS[t.kind],
      cells: opts.configs.map((c) => {
        const trials = byConfig.get(c.name) ?? [];
        const vals = trials.map((x) => x.value);
        const extras: CellResult['extras'] = {};
        for (const key of Object.keys(trials[0]?.extra ?? {})) {
          const xs = trials.map((x) => x.extra?.[key] ?? NaN);
          const bs = (byConfig.get(base) ?? []).map((x) => x.extra?.[key] ?? NaN);
          extras[key] = { median: median(xs), ratio: c.name === base ? null : pairedRatios(bs, xs).median };
        }
        return { config: c.name, summary: summarize(vals), ratio: c.name === base ? null : pairedRatios(baseVals, vals), extras, trials };
      }),
    };
  });
}
