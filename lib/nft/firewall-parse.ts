/**
 * Reading our firewall objects back from `nft -j list table inet appnet`: rule hit
 * counters (fw_r<id>) and quota use (fw_q<app id>).
 */
export interface FirewallCounters {
  rules: Map<number, { packets: number; bytes: number }>;
  quotas: Map<number, { used: number; limit: number }>;
}

interface NftJsonObject {
  counter?: { name?: string; packets?: number; bytes?: number };
  quota?: { name?: string; bytes?: number; used?: number };
}

/** parseFirewallCounters picks our named counters and quotas out of nft's JSON listing. */
export function parseFirewallCounters(json: string): FirewallCounters {
  const out: FirewallCounters = { rules: new Map(), quotas: new Map() };
  let doc: { nftables?: NftJsonObject[] };
  try {
    doc = JSON.parse(json) as { nftables?: NftJsonObject[] };
  } catch (err) {
    throw new Error(`nft JSON listing is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  for (const o of doc.nftables ?? []) {
    const c = o.counter;
    const cm = c?.name ? /^fw_r(\d+)$/.exec(c.name) : null;
    if (c && cm) out.rules.set(Number(cm[1]), { packets: Number(c.packets ?? 0), bytes: Number(c.bytes ?? 0) });
    const q = o.quota;
    const qm = q?.name ? /^fw_q(\d+)$/.exec(q.name) : null;
    if (q && qm) out.quotas.set(Number(qm[1]), { used: Number(q.used ?? 0), limit: Number(q.bytes ?? 0) });
  }
  return out;
}
