/** CAP_NET_ADMIN is capability number 12 (linux/capability.h). */
export const CAP_NET_ADMIN = 12;

export interface ProcCaps {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  bounding: bigint;
  ambient: bigint;
}

/** parseProcStatusCaps reads the Cap* lines of /proc/<pid>/status. */
export function parseProcStatusCaps(status: string): ProcCaps {
  const get = (key: string): bigint => {
    const m = new RegExp(`^${key}:\\s*([0-9a-f]+)$`, 'm').exec(status);
    if (!m) throw new Error(`/proc status has no ${key} line`);
    return BigInt(`0x${m[1]}`);
  };
  return { effective: get('CapEff'), permitted: get('CapPrm'), inheritable: get('CapInh'), bounding: get('CapBnd'), ambient: get('CapAmb') };
}

/** parseProcStatusUids returns the real, effective, saved and filesystem uids from /proc/<pid>/status. */
export function parseProcStatusUids(status: string): number[] {
  const m = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$/m.exec(status);
  if (!m) throw new Error('/proc status has no Uid line');
  return m.slice(1, 5).map(Number);
}

/** usableCapabilities is the set the process can use now or regain without exec: effective | permitted | ambient. */
export function usableCapabilities(caps: ProcCaps): bigint {
  return caps.effective | caps.permitted | caps.ambient;
}

/** hasCapability tests one capability bit in a mask. */
export function hasCapability(mask: bigint, cap: number): boolean {
  return ((mask >> BigInt(cap)) & 1n) === 1n;
}
