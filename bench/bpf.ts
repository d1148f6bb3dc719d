/**
 * A cgroup_skb BPF counter (bench/tools/cgroup-count.bpf.c) for figure 1's comparison: what
 * attributing packets to cgroups costs when it is not done with nft `socket cgroupv2` lookups.
 * Loaded inside the sandbox's mount namespace (its own bpffs) and attached to the sandbox's
 * system.slice only: the peer side, which stands for remote hosts, is not counted, and nothing
 * outside the sandbox is touched. Optional: without clang, libbpf's headers or bpftool the
 * comparison is left out.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from '../collector/sandbox/sandbox';
import { OUT_DIR } from './traffic';

const SRC = join(import.meta.dirname, 'tools', 'cgroup-count.bpf.c');
const OBJ = join(OUT_DIR, 'cgroup-count.bpf.o');
const BPFTOOL = ['/usr/sbin/bpftool', '/usr/bin/bpftool'].find((p) => existsSync(p)) ?? null;

/** buildBpfCounter compiles the program once, or says which tool is missing. */
export function buildBpfCounter(): { obj: string } | { missing: string } {
  if (!BPFTOOL) return { missing: 'bpftool is not installed' };
  if (!existsSync('/usr/include/bpf/bpf_helpers.h')) return { missing: "libbpf's headers (libbpf-dev) are not installed" };
  mkdirSync(OUT_DIR, { recursive: true });
  if (existsSync(OBJ) && statSync(OBJ).mtimeMs >= statSync(SRC).mtimeMs) return { obj: OBJ };
  try {
    execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', SRC, '-o', OBJ], { stdio: 'pipe' });
  } catch (err) {
    return { missing: `clang could not build it (${err instanceof Error ? err.message.split('\n')[0] : String(err)})` };
  }
  return { obj: OBJ };
}

const PIN = '/sys/fs/bpf/appnet-bench';
const CG = '/sys/fs/cgroup/system.slice';

export interface BpfCounter {
  attach(): Promise<void>;
  /** Detaches if attached (a no-op otherwise). */
  detach(): Promise<void>;
  /** Packets counted so far per direction, summed over CPUs and keys. */
  packets(): Promise<{ ingress: number; egress: number }>;
}

/** loadBpfCounter loads the program inside the sandbox (not yet attached). */
export async function loadBpfCounter(s: Sandbox, obj: string): Promise<BpfCounter> {
  const bpftool = BPFTOOL!;
  await s.execOk(['mount', '-t', 'bpf', 'bpf', '/sys/fs/bpf']);
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
    async packets() {
      const dump = JSON.parse(await s.execOk([bpftool, '-j', 'map', 'dump', 'pinned', `${PIN}/maps/counts`])) as Array<{ formatted: { key: { dir: number }; values: Array<{ value: { packets: number } }> } }>;
      const out = { ingress: 0, egress: 0 };
      for (const e of dump) out[e.formatted.key.dir === 0 ? 'ingress' : 'egress'] += e.formatted.values.reduce((n, v) => n + Number(v.value.packets), 0);
      return out;
    },
  };
}
