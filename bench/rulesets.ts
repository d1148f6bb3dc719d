/**
 * The nftables configurations the packet-path benchmarks compare, all applied inside
 * the sandbox's network namespace (never the host's) with `nft -f -` run there.
 */
import type { Sandbox } from '../collector/sandbox/sandbox';
import { accountingCommands } from '../lib/nft/accounting';
import { TABLE_FAMILY, TABLE_NAME } from '../lib/nft/names';

const T = `${TABLE_FAMILY} ${TABLE_NAME}`;

/** Idle timeout for bench elements: long, so pre-filled elements survive the whole run. */
export const BENCH_ELEMENT_TIMEOUT = 3600;

/** dropTable removes our table if present (add-then-delete never fails). */
export function dropTable(): string[] {
  return [`add table ${T}`, `delete table ${T}`];
}

/** plainCounter is one `counter` rule on input and output: the cheapest possible accounting. */
export function plainCounter(): string[] {
  return [
    `add table ${T}`,
    `add chain ${T} bench_in { type filter hook input priority -10; policy accept; }`,
    `add chain ${T} bench_out { type filter hook output priority 300; policy accept; }`,
    `add rule ${T} bench_in counter`,
    `add rule ${T} bench_out counter`,
  ];
}

const HOST_FW = 'inet bench_hostfw';

/**
 * conntrackOn stands for a host that already runs a stateful firewall: one ct rule in a
 * table of its own turns connection tracking on for the namespace.
 */
export function conntrackOn(): string[] {
  return [`add table ${HOST_FW}`, `add chain ${HOST_FW} input { type filter hook input priority 0; policy accept; }`, `add rule ${HOST_FW} input ct state established,related accept`];
}

/** dropConntrackOn removes conntrackOn's table if present. */
export function dropConntrackOn(): string[] {
  return [`add table ${HOST_FW}`, `delete table ${HOST_FW}`];
}

/** accounting is appnet's counting cascade for the given populated cgroup levels, with or without its destination sets. */
export function accounting(levels: number[], destinations = false): string[] {
  return accountingCommands({ levels, elementTimeoutSec: BENCH_ELEMENT_TIMEOUT, destinations });
}

/** accountingTotals is our table when the BPF program counts per app, with destinations off: no chain (the interfaces' statistics give their totals). */
export function accountingTotals(): string[] {
  return accountingCommands({ levels: [1], elementTimeoutSec: BENCH_ELEMENT_TIMEOUT, role: 'totals' });
}

/** applyNft runs one atomic nft batch inside the sandbox's network namespace. */
export async function applyNft(s: Sandbox, commands: string[]): Promise<void> {
  await s.execOk(['nft', '-f', '-'], { input: commands.join('\n') + '\n', timeoutMs: 600_000 });
}

/** flushIptables empties the sandbox's iptables filter OUTPUT/INPUT chains and our bench chain. */
export async function flushIptables(s: Sandbox): Promise<void> {
  await s.exec(['iptables', '-F', 'OUTPUT']);
  await s.exec(['iptables', '-F', 'INPUT']);
  await s.exec(['iptables', '-F', 'APPNET_ACCT']);
  await s.exec(['iptables', '-X', 'APPNET_ACCT']);
}

/**
 * iptablesPerApp is the classic design: one `-m cgroup --path` rule per app in one chain,
 * jumped to from OUTPUT and INPUT, each packet walking the list until its app matches.
 * Returned as iptables-restore input.
 */
export function iptablesPerApp(cgroups: string[]): string {
  const lines = ['*filter', ':APPNET_ACCT - [0:0]', '-A OUTPUT -j APPNET_ACCT', '-A INPUT -j APPNET_ACCT'];
  for (const c of cgroups) lines.push(`-A APPNET_ACCT -m cgroup --path ${c} -j RETURN`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}
