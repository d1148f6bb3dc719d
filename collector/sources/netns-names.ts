/**
 * Names for the interfaces of sockets in other network namespaces under the watched cgroup
 * root: a container's (docker and podman give each its own namespace and its own cgroup). The
 * BPF program counts their packets by the index that namespace gives the interface
 * (count.bpf.c FOREIGN), which in the collector's namespace names nothing or another interface
 * (the host's wwan0, say). They are booked on the container's own interface as its namespace
 * names it, marked with the namespace (lib/netkind.ts foreignIfaceName: 'eth0@netns4026532290'),
 * on the "container links" network. The name is read from /proc/PID/net/dev_snmp6 of a process
 * of that cgroup in another namespace (each interface's file there starts with its index), so
 * no namespace is entered.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { foreignIfaceName } from '../../lib/netkind';

/** Processes of a cgroup looked at, at most, to find one in another namespace. */
const MAX_PIDS = 64;

export interface NetnsNamesOptions {
  /** The cgroup directory of a cgroup id, null when it is not known. */
  cgroupDir: (cgroupId: number) => string | null;
  /** Where proc is mounted (tests: a recorded tree). */
  procRoot?: string;
}

/** netnsInode reads a process's network namespace ('net:[4026531840]' → 4026531840); null when it cannot. */
function netnsInode(procRoot: string, pid: string): number | null {
  try {
    const m = /^net:\[(\d+)\]$/.exec(readlinkSync(join(procRoot, pid, 'ns', 'net')));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** parseSnmp6Index reads the interface index from a dev_snmp6 file ('ifIndex\t\t\t\t\t2'). */
export function parseSnmp6Index(text: string): number | null {
  const m = /^ifIndex\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) : null;
}

/** ifnameIn finds the name of an interface index in a process's network namespace; null when none has it. */
function ifnameIn(procRoot: string, pid: string, ifindex: number): string | null {
  const dir = join(procRoot, pid, 'net', 'dev_snmp6');
  try {
    for (const name of readdirSync(dir)) {
      if (parseSnmp6Index(readFileSync(join(dir, name), 'utf8')) === ifindex) return name;
    }
  } catch {
    /* the process ended, or IPv6 is off in that kernel */
  }
  return null;
}

function readPids(dir: string): string[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).slice(0, MAX_PIDS);
  } catch {
    return [];
  }
}

/** NetnsNames names other namespaces' interfaces per (cgroup, index), once found for good; see the file comment. */
export class NetnsNames {
  private readonly found = new Map<string, string>();
  private readonly procRoot: string;
  private readonly own: number | null;

  constructor(private readonly opts: NetnsNamesOptions) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.own = netnsInode(this.procRoot, 'self');
  }

  /**
   * name is the interface an app's socket in another namespace used: 'eth0@netns4026532290', or
   * 'if2@netns' while no process of the cgroup in another namespace has that index (tried again
   * at the next read).
   */
  name(cgroupId: number, ifindex: number): string {
    const key = `${cgroupId}|${ifindex}`;
    const known = this.found.get(key);
    if (known !== undefined) return known;
    const dir = this.opts.cgroupDir(cgroupId);
    for (const pid of dir === null ? [] : readPids(dir)) {
      const ns = netnsInode(this.procRoot, pid);
      if (ns === null || ns === this.own) continue;
      const name = ifnameIn(this.procRoot, pid, ifindex);
      if (name === null) continue;
      const label = foreignIfaceName(name, ifindex, ns);
      this.found.set(key, label);
      return label;
    }
    return foreignIfaceName(null, ifindex, null);
  }

  /** forget drops the names of a cgroup's entries that were removed. */
  forget(cgroupId: number, ifindex: number): void {
    this.found.delete(`${cgroupId}|${ifindex}`);
  }
}
