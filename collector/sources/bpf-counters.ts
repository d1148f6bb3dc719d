/**
 * The BPF counter source: appnet's cgroup_skb program (collector/native/count.bpf.c), loaded,
 * attached at the root of the cgroup tree the collector watches and read by the long-running
 * helper collector/native/bpfcount, which pins the map and the links under a BPF filesystem
 * directory of appnet's own, so counts survive restarts and crashes of the collector. Each
 * read is one batched dump of the map as typed counters (lib/counters.ts).
 *
 * When bpfcount itself ends (a crash, an OOM kill, someone kills it), the program keeps
 * counting into the pinned map; the next request starts bpfcount again (collector/native-helper.ts,
 * with a back-off when starts fail), which takes over the pinned map and links as at a
 * collector restart: nothing is lost or counted twice. Each end is kept for the poll to report
 * (takeEnds).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { bpfKeyWord, parseBpfDeleted, parseBpfDump, parseBpfReady, splitBpfEntries, type BpfEntry, type BpfReady } from '../../lib/bpf-dump';
import { destKeyWord, parseDestDeleted, parseDestDump, parseDestSwitch, type DestDump, type DestEntry } from '../../lib/dest-dump';
import type { CounterEntry, CounterSnapshot, Direction } from '../../lib/counters';
import { HelperServer, type HelperEnd } from '../native-helper';
import { NetnsNames } from './netns-names';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'native', 'out');
/** Where scripts/ensure-deps.sh builds the loader and the program. */
export const BPFCOUNT_BIN = join(OUT, 'bpfcount');
export const BPF_OBJECT = join(OUT, 'count.bpf.o');

/** The map's two families, one per direction, as the delta state and the store name them. */
export const BPF_FAMILIES: Record<Direction, string> = { in: 'bpf_in', out: 'bpf_out' };
/**
 * The families of the segments' extra headers per (cgroup, interface): what GSO/GRO packets
 * add on the wire beyond the merged packet. Never stored as usage: where an interface counts
 * whole packets, they are taken off its apps (lib/segments.ts).
 */
export const BPF_SEGMENT_FAMILIES: Record<Direction, string> = { in: 'bpf_seg_in', out: 'bpf_seg_out' };
/**
 * The families of apps' sockets in other network namespaces (containers), booked on the
 * container's own interface (collector/sources/netns-names.ts). Kept apart from BPF_FAMILIES:
 * the host's interfaces' totals never see these packets as the app's, so they take no part in
 * the unattributed rest.
 */
export const BPF_NETNS_FAMILIES: Record<Direction, string> = { in: 'bpf_ns_in', out: 'bpf_ns_out' };

export interface BpfSourceOptions {
  /** The cgroup v2 directory to attach at: the root of the tree the collector watches. */
  cgroupRoot: string;
  /** Appnet's directory on the BPF filesystem (/sys/fs/bpf/appnet). */
  pinDir: string;
  /** Count destinations from the start (the program's switch; `destinations()` changes it later). */
  destinations: boolean;
  /** The cgroup directory of a cgroup id, to name the interfaces of its sockets in other network namespaces. */
  cgroupDir: (cgroupId: number) => string | null;
  bin?: string;
  object?: string;
}

/** An entry key as bpfcount names it in a delete request. */
type BpfKey = Pick<CounterEntry, 'family' | 'cgroupId' | 'ifindex' | 'direction'>;

/** BpfCounterSource reads the pinned counter map through a running bpfcount; see the file comment. */
export class BpfCounterSource {
  /** Last name seen per interface index: an interface that is gone keeps its name for its final reads. */
  private readonly names = new Map<number, string>();
  /** Interface indexes no interface had at the last read. */
  private unnamed = new Set<number>();
  /** Entries of the root cgroup on interfaces that are gone, at the last read: nothing stores them, so they go at once. */
  private rootGone: BpfKey[] = [];
  private ready: BpfReady | null = null;
  /** Whether the program counts destinations now. */
  private destsOn: boolean;
  /** Each end of bpfcount since the last takeEnds(). */
  private ends: HelperEnd[] = [];
  private readonly helper: HelperServer;
  private readonly rootId: number;

  private constructor(
    opts: BpfSourceOptions & { rootId: number },
    private readonly netns: NetnsNames,
  ) {
    this.rootId = opts.rootId;
    this.destsOn = opts.destinations;
    this.helper = new HelperServer(opts.bin ?? BPFCOUNT_BIN, ['serve', opts.pinDir, opts.cgroupRoot, opts.object ?? BPF_OBJECT, opts.destinations ? 'dests' : 'no-dests'], {
      onGreeting: (text) => {
        this.ready = parseBpfReady(text);
        // Started again after a crash, bpfcount has the switch it was first given: the poll sets it again when that differs.
        if (this.ready.destinations !== null) this.destsOn = this.ready.destinations;
      },
      onExit: (end) => this.ends.push(end),
    });
  }

  /**
   * open loads and attaches the program (or takes over the pinned one) and returns the
   * source with what it found: whether the map was made now. Throws with the reason when BPF
   * cannot be used here (helper not built, no BPF filesystem, the kernel refused).
   */
  static async open(opts: BpfSourceOptions & { rootId: number }): Promise<{ source: BpfCounterSource; ready: BpfReady }> {
    const bin = opts.bin ?? BPFCOUNT_BIN;
    const object = opts.object ?? BPF_OBJECT;
    if (!existsSync(bin) || !existsSync(object)) throw new Error(`the BPF counter is not built (${bin}; scripts/ensure-deps.sh builds it with clang and libbpf-dev)`);
    const source = new BpfCounterSource(opts, new NetnsNames({ cgroupDir: opts.cgroupDir }));
    // The first request starts the helper: its greeting says whether it loaded and attached.
    try {
      await source.read();
    } catch (err) {
      source.close();
      throw err;
    }
    return { source, ready: source.ready! };
  }

  /** The families this source answers for. */
  get families(): readonly string[] {
    return [BPF_FAMILIES.in, BPF_FAMILIES.out, BPF_SEGMENT_FAMILIES.in, BPF_SEGMENT_FAMILIES.out, BPF_NETNS_FAMILIES.in, BPF_NETNS_FAMILIES.out];
  }

  /**
   * read returns the map's counters: the apps' (family bpf_in/bpf_out) and their segments'
   * extra headers (bpf_seg_in/bpf_seg_out), and what their sockets in other network namespaces
   * counted (bpf_ns_in/bpf_ns_out, on the namespace's own interface). Entries of the root cgroup itself
   * (the kernel's own sockets, which send resets and neighbour discovery) are left out: they are
   * unattributed, as nft's `socket cgroupv2 level N` (N ≥ 1) leaves them.
   */
  async read(): Promise<CounterSnapshot> {
    const d = parseBpfDump(await this.helper.request('dump'));
    this.unnamed = new Set();
    this.rootGone = [];
    for (const e of d.entries) {
      if (e.cgroupId === this.rootId) {
        if (e.ifname === null) this.rootGone.push({ family: familiesOf(e)[e.direction], cgroupId: e.cgroupId, ifindex: e.ifindex, direction: e.direction });
        continue;
      }
      if (e.foreign) continue; // another namespace's index: named by this.netns
      if (e.ifname !== null) this.names.set(e.ifindex, e.ifname);
      else this.unnamed.add(e.ifindex);
    }
    const { apps, segments } = splitBpfEntries(d.entries, this.rootId);
    const entries = [...apps, ...segments].map((e) => this.entry(e));
    return { source: 'bpf', generation: d.mapId, entries, fill: { counts: { count: d.count, size: d.capacity } } };
  }

  private entry(e: BpfEntry): CounterEntry {
    const iface = e.foreign ? this.netns.name(e.cgroupId, e.ifindex) : (e.ifname ?? this.names.get(e.ifindex) ?? `if${e.ifindex}`);
    return { family: familiesOf(e)[e.direction], cgroupId: e.cgroupId, iface, ifindex: e.ifindex, direction: e.direction, bytes: e.bytes, packets: e.packets, expiresMs: null, timeoutMs: null };
  }

  /**
   * interfaceGone tells whether no interface had this index at the last read (of the
   * collector's namespace: another namespace's entries go with their cgroup).
   */
  interfaceGone(ifindex: number | undefined, family?: string): boolean {
    if (family === BPF_NETNS_FAMILIES.in || family === BPF_NETNS_FAMILIES.out) return false;
    return ifindex !== undefined && this.unnamed.has(ifindex);
  }

  /** takeEnds returns each end of bpfcount since the last call (it is started again by a later request). */
  takeEnds(): HelperEnd[] {
    const out = this.ends;
    this.ends = [];
    return out;
  }

  /** failedStarts is how many starts of bpfcount in a row failed (it could not load or attach the program). */
  get failedStarts(): number {
    return this.helper.failedStarts;
  }

  /** netnsApart tells whether the program counts other network namespaces' sockets apart (Linux 6.15 and later). */
  get netnsApart(): boolean {
    return this.ready?.netnsApart ?? false;
  }

  /** removeRootGone deletes the root cgroup's entries of interfaces that are gone (left out of every reading). */
  async removeRootGone(): Promise<void> {
    if (this.rootGone.length) await this.remove(this.rootGone);
    this.rootGone = [];
  }

  /** remove deletes entries from the map; returns the ones it removed. */
  async remove<T extends BpfKey>(entries: T[]): Promise<T[]> {
    const keyed = entries.filter((e) => e.cgroupId !== null && e.ifindex !== undefined);
    if (!keyed.length) return [];
    const segments = new Set(Object.values(BPF_SEGMENT_FAMILIES));
    const foreign = new Set(Object.values(BPF_NETNS_FAMILIES));
    const word = (e: T) => bpfKeyWord({ cgroupId: e.cgroupId!, ifindex: e.ifindex!, direction: e.direction, segments: segments.has(e.family), foreign: foreign.has(e.family) });
    const done = parseBpfDeleted(await this.helper.request(`delete ${keyed.map(word).join(' ')}`));
    const removed = keyed.filter((e) => done.has(word(e)));
    for (const e of removed) if (foreign.has(e.family)) this.netns.forget(e.cgroupId!, e.ifindex!);
    return removed;
  }

  /** countsDestinations tells whether the program counts destinations now. */
  get countsDestinations(): boolean {
    return this.destsOn;
  }

  /**
   * destinations switches destination counting on or off in the running program (the poll
   * calls it when the wanted state differs from the last one set). A helper restarted after a
   * crash starts with the switch it was given at first and says so in its greeting, so the next
   * poll sets it again.
   */
  async destinations(on: boolean): Promise<void> {
    this.destsOn = parseDestSwitch(await this.helper.request(`destinations ${on ? 'on' : 'off'}`));
  }

  /**
   * readDests returns the destinations map, the root cgroup's entries left out (as in read()),
   * each entry's interface named as in read().
   */
  async readDests(): Promise<DestDump> {
    const d = parseDestDump(await this.helper.request('dests'));
    const entries: DestEntry[] = [];
    for (const e of d.entries) {
      if (e.cgroupId === this.rootId) continue;
      if (e.ifname !== null) this.names.set(e.ifindex, e.ifname);
      entries.push({ ...e, ifname: e.ifname ?? this.names.get(e.ifindex) ?? `if${e.ifindex}` });
    }
    return { ...d, entries };
  }

  /** removeDests deletes destination entries from the map; returns the ones it removed. */
  async removeDests(entries: DestEntry[]): Promise<DestEntry[]> {
    if (!entries.length) return [];
    const done = parseDestDeleted(await this.helper.request(`ddelete ${entries.map(destKeyWord).join(' ')}`));
    return entries.filter((e) => done.has(destKeyWord(e)));
  }

  /** close ends the helper; the program stays attached and keeps counting. */
  close(): void {
    this.helper.close();
  }
}

/** familiesOf gives the families an entry belongs to: an app's, its segments', or another network namespace's. */
function familiesOf(e: BpfEntry): Record<Direction, string> {
  return e.foreign ? BPF_NETNS_FAMILIES : e.segments ? BPF_SEGMENT_FAMILIES : BPF_FAMILIES;
}

/**
 * removeBpfCounter detaches the program and unpins everything appnet pinned (`appnet uninstall`,
 * or the collector told to count with nft). Returns what bpfcount said, or null when nothing was pinned.
 */
export async function removeBpfCounter(pinDir: string, bin = BPFCOUNT_BIN): Promise<string | null> {
  if (!existsSync(pinDir)) return null;
  if (!existsSync(bin)) throw new Error(`cannot detach the BPF counter pinned at ${pinDir}: ${bin} is not built`);
  const { stdout } = await promisify(execFile)(bin, ['remove', pinDir], { timeout: 10_000 });
  return stdout.trim();
}
