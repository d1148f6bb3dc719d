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

const BPFTOOL = ['/usr/sbin/bpftool', '/usr/bin/bpftool'].find((p) => existsSync(p)) ?? null;

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
    async packets() {
      const dump = JSON.parse(await s.execOk([bpftool, '-j', 'map', 'dump', 'pinned', `${PIN}/maps/counts`])) as Array<{ formatted: { key: { dir: number }; values: Array<{ value: { packets: number } }> } }>;
      const out = { ingress: 0, egress: 0 };
      for (const e of dump) out[e.formatted.key.dir === 0 ? 'ingress' : 'egress'] += e.formatted.values.reduce((n, v) => n + Number(v.value.packets), 0);
      return out;
    },
  };
}
