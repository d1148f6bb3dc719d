/**
 * appnet's own cgroup_skb counter (collector/native/count.bpf.c) for figure 1: what attributing
 * packets to cgroups costs in a cgroup BPF program rather than with nft `socket cgroupv2`
 * lookups. Loaded with bpftool inside the sandbox's mount namespace (its own bpffs) and attached
 * to the sandbox's system.slice only: the peer side, which stands for remote hosts, is not
 * counted, and nothing outside the sandbox is touched. Optional: without the program built
 * (scripts/ensure-deps.sh: clang, libbpf-dev) or bpftool, the BPF configurations are left out.
 */
import { existsSync } from 'node:fs';
import type { Sandbox } from '../collector/sandbox/sandbox';
import { BPF_OBJECT } from '../collector/sources/bpf-counters';

/** bpftool where it is installed, or null. */
export const BPFTOOL = ['/usr/sbin/bpftool', '/usr/bin/bpftool'].find((p) => existsSync(p)) ?? null;

/** buildBpfCounter finds the program scripts/ensure-deps.sh built, or says what is missing. */
export function buildBpfCounter(): { obj: string } | { missing: string } {
  if (!BPFTOOL) return { missing: 'bpftool is not installed' };
  if (!existsSync(BPF_OBJECT)) return { missing: `appnet's BPF counter is not built (${BPF_OBJECT}; scripts/ensure-deps.sh builds it)` };
  return { obj: BPF_OBJECT };
}

const PIN = '/sys/fs/bpf/appnet-bench';
const CG = '/sys/fs/cgroup/system.slice';

export interface BpfCounter {
  attach(): Promise<void>;
  /** Detaches if attached (a no-op otherwise). */
  detach(): Promise<void>;
  /** Packets counted so far per direction, summed over CPUs and keys. */
  packets(): Promise<{ ingress: number; egress: number }>;
  /** Switches destination counting (the second map, issue 19); loaded off, as bpfcount's no-dests. */
  destinations(on: boolean): Promise<void>;
  /**
   * Puts one counts entry per (cgroup id, ifindex, direction) into the map, as the program would
   * after a packet each way (figure 2: the map as full as 10,000 tracked apps make it), or takes
   * them out again (`remove`). Entries the program made itself are left alone.
   */
  fill(cgroupIds: bigint[], ifindex: number, remove?: boolean): Promise<void>;
}

/**
 * fillCounts puts one entry per (cgroup id, ifindex, direction) into a pinned counts map of
 * appnet's program, each as after one 64-byte packet, or deletes them (`remove`), in one bpftool
 * batch run inside the sandbox.
 */
export async function fillCounts(s: Sandbox, mapPath: string, cgroupIds: bigint[], ifindex: number, remove = false): Promise<void> {
  if (!BPFTOOL) throw new Error('bpftool is not installed');
  const lines: string[] = [];
  for (const id of cgroupIds) {
    for (const dir of [0, 1]) {
      const key = [...hexBytes(id, 8), ...hexBytes(BigInt(ifindex), 4), ...hexBytes(BigInt(dir), 4)].join(' ');
      // Per-CPU map: bpftool gives every CPU the value.
      lines.push(remove ? `map delete pinned ${mapPath} key ${key}` : `map update pinned ${mapPath} key ${key} value ${[...hexBytes(64n, 8), ...hexBytes(1n, 8)].join(' ')}`);
    }
  }
  await s.execOk([BPFTOOL, 'batch', 'file', '-'], { input: lines.join('\n') + '\n', timeoutMs: 600_000 });
}

/** hexBytes prints a little-endian integer of `n` bytes as bpftool's key/value bytes. */
function hexBytes(v: bigint, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push('0x' + ((v >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, '0'));
  return out;
}

/** loadBpfCounter loads the program inside the sandbox (not yet attached). */
export async function loadBpfCounter(s: Sandbox, obj: string): Promise<BpfCounter> {
  const bpftool = BPFTOOL!;
  await s.execOk(['mkdir', '-p', PIN]);
  await s.execOk([bpftool, 'prog', 'loadall', obj, `${PIN}/prog`, 'pinmaps', `${PIN}/maps`]);
  let attached = false;
  const dirs = ['ingress', 'egress'] as const;
  return {
    async attach() {
      for (const d of dirs) await s.execOk([bpftool, 'cgroup', 'attach', CG, d, 'pinned', `${PIN}/prog/count_${d}`, 'multi']);
      attached = true;
    },
    async detach() {
      if (!attached) return;
      for (const d of dirs) await s.execOk([bpftool, 'cgroup', 'detach', CG, d, 'pinned', `${PIN}/prog/count_${d}`]);
      attached = false;
    },
    async destinations(on: boolean) {
      await s.execOk([bpftool, 'map', 'update', 'pinned', `${PIN}/maps/dest_cfg`, 'key', '0', '0', '0', '0', 'value', on ? '1' : '0', '0', '0', '0']);
    },
    fill: (cgroupIds: bigint[], ifindex: number, remove = false) => fillCounts(s, `${PIN}/maps/counts`, cgroupIds, ifindex, remove),
    async packets() {
      const dump = JSON.parse(await s.execOk([bpftool, '-j', 'map', 'dump', 'pinned', `${PIN}/maps/counts`])) as Array<{ formatted: { key: { dir: number }; values: Array<{ value: { packets: number } }> } }>;
      const out = { ingress: 0, egress: 0 };
      for (const e of dump) out[e.formatted.key.dir === 0 ? 'ingress' : 'egress'] += e.formatted.values.reduce((n, v) => n + Number(v.value.packets), 0);
      return out;
    },
  };
}
