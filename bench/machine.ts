/** The machine a benchmark ran on: CPU, kernel, nft and the load others put on it. */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';

export interface MachineInfo {
  cpuModel: string;
  cpus: number;
  memGiB: number;
  kernel: string;
  nft: string;
  iptables: string;
  iperf3: string;
  node: string;
  loadAvgStart: number[];
}

function tool(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0].trim();
  } catch {
    return 'not installed';
  }
}

/** parseCpuModel reads the first "model name" of /proc/cpuinfo text. */
export function parseCpuModel(cpuinfo: string): string {
  return /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1].trim() ?? 'unknown';
}

/** machineInfo describes this machine for BENCHMARKS.md. */
export function machineInfo(): MachineInfo {
  return {
    cpuModel: parseCpuModel(readFileSync('/proc/cpuinfo', 'utf8')),
    cpus: cpus().length,
    memGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: tool('uname', ['-srvm']),
    nft: tool('nft', ['--version']),
    iptables: tool('iptables', ['-V']),
    iperf3: tool('iperf3', ['--version']),
    node: process.version,
    loadAvgStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
