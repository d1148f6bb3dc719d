/**
 * The nft counter source: our table's counter sets as typed counters (lib/counters.ts).
 * Counting per app (`--counter nft`) it reads the per-(cgroup, interface) sets and the
 * per-interface unattributed sets; next to the BPF source it reads no counter set at all. It also hands on what the same reading says about the table itself (its chains,
 * the firewall's rule hits and quota use), which the reconciler and the firewall need.
 * Counting per app with destinations on, the same reading holds the destination sets
 * (lib/nft/dest-sets.ts), handed on as the BPF source hands on its destinations map.
 */
import type { DestDump, DestEntry } from '../../lib/dest-dump';
import { NFT_DEST_FAMILY, type DestReading } from '../../lib/destinations';
import type { NftDestElement } from '../../lib/nft/dest-sets';
import type { TableSnapshot } from '../../lib/nft/parse';
import type { CounterEntry, CounterSnapshot, Direction } from '../../lib/counters';
import type { FirewallCounters } from '../../lib/nft/firewall-parse';
import { CHAIN_ACCT_FWD, CHAIN_ACCT_IN, CHAIN_ACCT_OUT, SET_ACCT_IN, SET_ACCT_OUT, SET_UNATTR_IN, SET_UNATTR_OUT } from '../../lib/nft/names';
import type { CounterReader } from '../nft/counters';

/** What our table counts: apps and unattributed traffic, or nothing (the BPF program counts apps, the interfaces' statistics their totals). */
export type NftRole = 'apps' | 'totals';

const FAMILIES: Record<NftRole, readonly string[]> = {
  apps: [SET_ACCT_IN, SET_ACCT_OUT, SET_UNATTR_IN, SET_UNATTR_OUT],
  totals: [],
};

/** nftFamilies lists the counter sets of a role. */
export function nftFamilies(role: NftRole): readonly string[] {
  return FAMILIES[role];
}

const direction = (set: string): Direction => (set.endsWith('_in') ? 'in' : 'out');

/** The destination sets of one reading, as the BPF source's destinations map, with each set's fill. */
export interface NftDests extends DestDump {
  entries: DestReading[];
  sets: Record<string, { count: number; size: number | null }>;
}

/** One reading of our table. */
export interface NftReading {
  snapshot: CounterSnapshot;
  /** Rule count per chain, to see that our chains are in place. */
  chains: Record<string, number>;
  firewall: FirewallCounters;
  via: 'netlink' | 'json';
  /**
   * The destination sets as typed destinations (generation: the table handle): null when the
   * table has none (destinations off, or counted by the BPF program), undefined when this way
   * of reading cannot see them (nft's JSON listing).
   */
  dests: NftDests | null | undefined;
}

export interface NftSourceOptions {
  role: NftRole;
  /** Idle seconds after which the kernel drops a per-(cgroup, interface) element. */
  elementTimeoutSec: number;
  /** Maps a cgroup path (nft's JSON listing prints some ids as paths) to its id; null when it is gone. */
  idOfPath: (path: string) => number | null;
  log: (level: 'info' | 'warn' | 'error', msg: string) => void;
  /** Names interfaces by index (destinations are keyed by index); the poll feeds it (PollContext.ifnames). */
  ifnames?: InterfaceNames;
}

/** NftCounterSource reads our table's counters through a CounterReader (netlink helper, nft JSON as the fallback). */
export class NftCounterSource {
  private role: NftRole;

  constructor(private readonly reader: CounterReader, private readonly opts: NftSourceOptions) {
    this.role = opts.role;
  }

  /** The sets this source reads in its role. */
  get families(): readonly string[] {
    return FAMILIES[this.role];
  }

  /** The families of every counter this source reads in its role: its sets' and, counting per app, their destinations'. */
  get stateFamilies(): readonly string[] {
    return this.role === 'apps' ? [...FAMILIES.apps, NFT_DEST_FAMILY] : FAMILIES[this.role];
  }

  /** What the table counts (the collector picks it once it knows whether the BPF counter runs). */
  get currentRole(): NftRole {
    return this.role;
  }

  setRole(role: NftRole): void {
    this.role = role;
  }

  /** read returns our table's counters, or null when the table does not exist. */
  async read(): Promise<NftReading | null> {
    const r = await this.reader.read();
    if (r === null) return null;
    const wanted = new Set(this.families);
    const timeoutMs = this.opts.elementTimeoutSec * 1000;
    const entries: CounterEntry[] = [];
    for (const e of r.snapshot.elements) {
      if (!wanted.has(e.set)) continue;
      let cgroupId: number | null = null;
      if (e.cgroup !== null) {
        cgroupId = typeof e.cgroup === 'number' ? e.cgroup : this.opts.idOfPath(e.cgroup);
        if (cgroupId === null) {
          this.opts.log('warn', `cannot resolve cgroup ${e.cgroup} of a counter: skipped this poll`);
          continue;
        }
      }
      entries.push({
        family: e.set,
        cgroupId,
        iface: e.iface,
        direction: direction(e.set),
        bytes: e.bytes,
        packets: e.packets,
        expiresMs: e.expiresSec === null ? null : e.expiresSec * 1000,
        timeoutMs: e.cgroup === null ? null : timeoutMs,
      });
    }
    const fill: CounterSnapshot['fill'] = {};
    for (const [name, f] of Object.entries(r.snapshot.setFill)) if (wanted.has(name)) fill[name] = f;
    const dests = this.role === 'apps' ? this.destsOf(r.snapshot) : null;
    return { snapshot: { source: 'nft', generation: r.snapshot.tableHandle, entries, fill }, chains: r.snapshot.chains, firewall: r.firewall, via: r.via, dests };
  }

  /** destsOf turns the destination sets of a reading into the typed destinations of lib/dest-dump.ts, as the BPF source reads them. */
  private destsOf(t: TableSnapshot): NftReading['dests'] {
    if (!t.dests) return undefined;
    const fills = Object.values(t.dests.fill);
    if (!fills.length) return null;
    const entries = t.dests.elements.map((e) => this.destEntry(e));
    return { mapId: t.tableHandle, count: fills.reduce((n, f) => n + f.count, 0), capacity: fills.reduce((n, f) => n + (f.size ?? 0), 0), entries, sets: t.dests.fill };
  }

  private destEntry(e: NftDestElement): DestEntry & DestReading {
    const ifname = this.opts.ifnames?.nameOf(e.ifindex) ?? null;
    return {
      cgroupId: e.cgroupId, ifindex: e.ifindex, ifname, direction: e.set.direction, remote: e.remote, proto: e.proto, port: e.port, inbound: e.set.inbound,
      bytes: e.bytes, packets: e.packets, expiresMs: e.expiresSec === null ? null : e.expiresSec * 1000,
    };
  }

  /** complete tells whether a reading shows every set and chain this role needs (next to the BPF program: none). */
  complete(r: NftReading): boolean {
    if (this.role === 'totals') return true;
    return [CHAIN_ACCT_IN, CHAIN_ACCT_OUT, CHAIN_ACCT_FWD].every((c) => (r.chains[c] ?? 0) > 0) && this.families.every((s) => r.snapshot.fill[s] !== undefined);
  }

  /** close ends the reader's helper. */
  close(): Promise<void> {
    return this.reader.close();
  }
}

/**
 * InterfaceNames names interfaces by index, from the interfaces' readings each poll makes anyway
 * (collector/sources/interfaces.ts readLinkCounters, before our table is read), so a renamed
 * interface gets its new name, as bpfcount names them at each dump; a name once seen is kept,
 * so an interface that is gone keeps its name for its counters' final reads (as the BPF source
 * keeps it).
 */
export class InterfaceNames {
  private readonly names = new Map<number, string>();

  /** learn takes the names of one reading of all interfaces. */
  learn(readings: ReadonlyArray<{ name: string; ifindex: number }>): void {
    for (const r of readings) this.names.set(r.ifindex, r.name);
  }

  /** nameOf names the interface with this index; null when no interface has had it. */
  nameOf(ifindex: number): string | null {
    return this.names.get(ifindex) ?? null;
  }
}
