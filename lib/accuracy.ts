/**
 * How exact each counter source is against what crossed the link, as measured by
 * test/privileged/wire-accuracy.test.ts on a sandbox link set up like a NIC (TSO off on
 * the sending side, GRO on the receiving side; far end's per-segment counts as truth; the
 * harness counts a download without the Ethernet headers a veth's receive ring never held).
 * These are measurements, shown to the user as such; appnet never adds a correction.
 */

/** One measured kind of traffic: appnet's bytes divided by the IP bytes the far end saw. */
export interface MeasuredRatio {
  traffic: string;
  ratio: number;
}

export interface SourceAccuracy {
  /** 'nft' or 'bpf', as the collector reports its counter source. */
  source: string;
  /** Whether the source counts the headers of every segment of a GSO/GRO packet. */
  seesSegments: boolean;
  /** One plain sentence for the Health page. */
  summary: string;
  measured: MeasuredRatio[];
}

/** NFT_MEASURED are the ratios of the nft source (Linux 6.18, veth with tso off / gro on, December 2026). */
export const NFT_MEASURED: readonly MeasuredRatio[] = [
  { traffic: 'TCP download 20 MB (IPv4)', ratio: 0.966 },
  { traffic: 'TCP upload 20 MB (IPv4)', ratio: 0.966 },
  { traffic: 'TCP upload 10 MB (IPv6)', ratio: 0.953 },
  { traffic: 'TCP download 10 MB (IPv6)', ratio: 0.953 },
  { traffic: 'sendfile upload 10 MB (IPv4)', ratio: 0.966 },
  { traffic: 'UDP, ICMP echo, TCP SYNs', ratio: 1 },
];

/**
 * BPF_MEASURED are the ratios of the BPF source, for the interface (apps + unattributed) and
 * for the app alone alike (same link, same runs). Every one was within 0.01 % of 1 (a few
 * bytes of neighbour discovery either way), so three decimals show 1.000.
 */
export const BPF_MEASURED: readonly MeasuredRatio[] = [
  { traffic: 'TCP download 20 MB (IPv4)', ratio: 1 },
  { traffic: 'TCP upload 20 MB (IPv4)', ratio: 1 },
  { traffic: 'TCP upload 10 MB (IPv6)', ratio: 1 },
  { traffic: 'TCP download 10 MB (IPv6)', ratio: 1 },
  { traffic: 'sendfile upload 10 MB (IPv4)', ratio: 1 },
  { traffic: 'UDP, ICMP echo, TCP SYNs', ratio: 1 },
];

/** shortfallRange gives the smallest and largest shortfall in percent among measured ratios below 1. */
export function shortfallRange(measured: readonly MeasuredRatio[]): { min: number; max: number } | null {
  const short = measured.filter((m) => m.ratio < 1).map((m) => Math.round((1 - m.ratio) * 1000) / 10);
  return short.length === 0 ? null : { min: Math.min(...short), max: Math.max(...short) };
}

/**
 * sourceAccuracy describes how exact a counter source is, for the Health page. A source without
 * measurements, or none (no poll yet), gets null: nothing is claimed about it.
 */
export function sourceAccuracy(source: string | null | undefined): SourceAccuracy | null {
  if (source === 'nft') {
    const r = shortfallRange(NFT_MEASURED)!;
    return {
      source,
      seesSegments: false,
      summary:
        `The nft counters see packets as netfilter does: a large TCP send leaves as one packet that the network card (or the kernel) cuts into segments, ` +
        `and arriving segments are merged before netfilter sees them, so the IP and TCP headers of all but one segment are not counted. ` +
        `Bulk TCP transfers read ${r.min}–${r.max} % below what crossed the link; small packets (DNS, ICMP, connection set-up) are exact. ` +
        `No correction is applied.`,
      measured: [...NFT_MEASURED],
    };
  }
  if (source === 'bpf') {
    return {
      source,
      seesSegments: true,
      summary:
        `The BPF counter counts what crossed the link: a large TCP send or a merged arrival is counted as the segments it is on the wire, ` +
        `each with its own IP and TCP headers, where the interface itself counts segments (on links that pass large packets whole, such as loopback or a container's veth, as whole packets). ` +
        `Each interface's total is its own statistics less the link-layer headers (Ethernet, Wi-Fi), so the unattributed rest holds forwarded traffic and frames that are not IP (ARP) too. ` +
        `Bulk TCP and small packets alike read within 0.1 % of what crossed the link. ` +
        `Link-layer headers are not counted: the Networks page shows them as the difference to the interface's own counters.`,
      measured: [...BPF_MEASURED],
    };
  }
  return null;
}
