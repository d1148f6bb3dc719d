/** Ground truth from a sandbox's peer namespace, and waiting for listeners in it. */
import type { Sandbox } from '../collector/sandbox/sandbox';

/**
 * peerTruth installs byte counters in the PEER namespace, per TCP/UDP port and
 * direction: what the far end measured, independent of appnet.
 */
export async function peerTruth(s: Sandbox, ports: number[]): Promise<() => Promise<Map<string, { bytes: number; packets: number }>>> {
  const lines = ['table inet truth {', '  chain in { type filter hook input priority 0; policy accept;'];
  for (const p of ports) lines.push(`    tcp dport ${p} counter comment "in-${p}"`, `    udp dport ${p} counter comment "in-${p}u"`);
  lines.push('  }', '  chain out { type filter hook output priority 0; policy accept;');
  for (const p of ports) lines.push(`    tcp sport ${p} counter comment "out-${p}"`, `    udp sport ${p} counter comment "out-${p}u"`);
  lines.push('  }', '}');
  await s.execOk(['nft', '-f', '-'], { net: 'peer', input: lines.join('\n') + '\n' });
  return async () => {
    const out = JSON.parse(await s.execOk(['nft', '-j', 'list', 'table', 'inet', 'truth'], { net: 'peer' })) as { nftables: Array<Record<string, { comment?: string; expr?: Array<Record<string, { bytes?: number; packets?: number }>> }>> };
    const m = new Map<string, { bytes: number; packets: number }>();
    for (const item of out.nftables) {
      const rule = item.rule;
      if (!rule?.comment) continue;
      const c = rule.expr?.find((e) => e.counter)?.counter;
      if (c) m.set(rule.comment, { bytes: c.bytes ?? 0, packets: c.packets ?? 0 });
    }
    return m;
  };
}

/** sleep waits ms. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** waitListening waits until something in the sandbox (or its peer) listens on a port. */
export async function waitListening(s: Sandbox, port: number, opts: { udp?: boolean; net?: 'main' | 'peer' } = {}): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const out = await s.execOk(['ss', opts.udp ? '-lunH' : '-ltnH'], { net: opts.net });
    if (out.split('\n').some((l) => new RegExp(`[:\\]]${port}\\s`).test(l))) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on ${opts.udp ? 'udp' : 'tcp'} port ${port} after 10 s`);
}
