/** An app's current processes, read unprivileged from cgroup.procs and /proc (both world-readable). */
import { readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { getConfig } from './config';

export interface ProcessInfo {
  pid: number;
  comm: string;
  cmdline: string;
  cgroup: string;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** listProcesses returns the processes now in the given cgroups (relative paths), at most `limit`. */
export function listProcesses(cgroupPaths: string[], limit = 50): ProcessInfo[] {
  const root = getConfig().cgroupRoot;
  const out: ProcessInfo[] = [];
  for (const rel of cgroupPaths) {
    const clean = normalize(rel).replace(/^(\.\.(\/|$))+/, '');
    const procs = readText(join(root, clean, 'cgroup.procs'));
    if (!procs) continue;
    for (const line of procs.split('\n')) {
      const pid = Number(line);
      if (!Number.isInteger(pid) || pid <= 0) continue;
      const comm = readText(`/proc/${pid}/comm`)?.trim() ?? '?';
      const cmdline = (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean).join(' ');
      out.push({ pid, comm, cmdline: cmdline.length > 200 ? `${cmdline.slice(0, 200)}…` : cmdline, cgroup: clean });
      if (out.length >= limit) return out;
    }
  }
  return out;
}
