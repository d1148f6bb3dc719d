/**
 * Network interfaces: kind from /sys/class/net (lib/netkind.ts decides), the network
 * each is on (Wi-Fi SSID or NetworkManager connection via systeminformation, else the
 * interface itself) and NetworkManager's metered flag where it has one.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import si from 'systeminformation';
import { parseLinkFiles, type LinkReading, type LinkShape } from '../../lib/link-counters';
import { classifyInterface, CONTAINER_LINKS, defaultMetered, isContainerLink, parseUevent, type NetKind, type SysNetFacts } from '../../lib/netkind';

export interface InterfaceInfo {
  name: string;
  kind: NetKind;
  mac: string | null;
  /** Link speed in Mbit/s when the driver reports one. */
  speedMbps: number | null;
  netKey: string;
  netName: string;
  meteredAuto: boolean | null;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * readLinkCounters reads every interface's own counters (ifindex and statistics/{rx,tx}_{bytes,packets})
 * under a /sys/class/net root, at every poll, with its shape (linkShape): a few small files and
 * one directory listing per interface, no tools, no network manager. An interface that vanishes
 * mid-read is left out.
 */
export function readLinkCounters(sysClassNet: string, now: number): LinkReading[] {
  const out: LinkReading[] = [];
  for (const name of readdirSync(sysClassNet)) {
    const dir = join(sysClassNet, name);
    const st = (f: string) => read(join(dir, 'statistics', f));
    const r = parseLinkFiles(name, { ifindex: read(join(dir, 'ifindex')), rx_bytes: st('rx_bytes'), tx_bytes: st('tx_bytes'), rx_packets: st('rx_packets'), tx_packets: st('tx_packets') }, now);
    if (!r) continue;
    const shape = linkShape(dir);
    if (shape) r.shape = shape;
    out.push(r);
  }
  return out;
}

/**
 * linkShape reads how an interface sits among the others (lib/link-counters.ts LinkShape): its
 * link type, a `master` (a port of a bridge, bond, team or VRF), the `upper_*` devices stacked on
 * it, for a device stacked on another whether it is a VLAN, and whether it is a bridge. Null when the directory is gone.
 */
function linkShape(dir: string): LinkShape | null {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return null;
  }
  const type = read(join(dir, 'type'));
  const stacked = entries.some((e) => e.startsWith('lower_'));
  return {
    type: type !== null && /^\d+$/.test(type) ? Number(type) : null,
    port: entries.includes('master'),
    uppers: entries.filter((e) => e.startsWith('upper_')).map((e) => e.slice('upper_'.length)),
    vlan: stacked && parseUevent(read(join(dir, 'uevent')) ?? '').DEVTYPE === 'vlan',
    bridge: entries.includes('bridge'),
  };
}

/** readSysNet reads the facts lib/netkind.ts needs about one interface from sysfs. */
export function readSysNet(sysClassNet: string, name: string): SysNetFacts {
  const dir = join(sysClassNet, name);
  let driver: string | null = null;
  try {
    driver = basename(readlinkSync(join(dir, 'device', 'driver')));
  } catch {
    driver = null;
  }
  const type = read(join(dir, 'type'));
  return {
    name,
    type: type === null ? null : Number(type),
    devtype: parseUevent(read(join(dir, 'uevent')) ?? '').DEVTYPE ?? null,
    wireless: existsSync(join(dir, 'wireless')) || existsSync(join(dir, 'phy80211')),
    driver,
  };
}

/** nmMetered asks NetworkManager (if present) whether a device's connection is metered. */
function nmMetered(name: string): Promise<{ metered: boolean | null; connection: string | null }> {
  return new Promise((resolve) => {
    execFile('nmcli', ['-t', '-f', 'GENERAL.METERED,GENERAL.CONNECTION', 'device', 'show', name], { timeout: 2000 }, (err, stdout) => {
      if (err) return resolve({ metered: null, connection: null });
      const m = /GENERAL\.METERED:(yes|no)/.exec(stdout);
      const c = /GENERAL\.CONNECTION:(.+)/.exec(stdout);
      resolve({ metered: m ? m[1] === 'yes' : null, connection: c && c[1] !== '--' ? c[1].trim() : null });
    });
  });
}

let nmAvailable: boolean | null = null;

/** readInterfaces lists interfaces with kind, network and counters. SSIDs come from systeminformation. */
export async function readInterfaces(sysClassNet: string): Promise<InterfaceInfo[]> {
  const names = readdirSync(sysClassNet).filter((n) => existsSync(join(sysClassNet, n, 'statistics')));
  let ssids = new Map<string, string>();
  const facts = names.map((n) => readSysNet(sysClassNet, n));
  const kinds = new Map(facts.map((f) => [f.name, classifyInterface(f)]));
  if ([...kinds.values()].includes('wifi')) {
    try {
      const conns = await Promise.race([si.wifiConnections(), new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timeout')), 3000))]);
      ssids = new Map(conns.filter((c) => c.ssid).map((c) => [c.iface, c.ssid]));
    } catch {
      /* no Wi-Fi tooling: networks fall back to the interface */
    }
  }
  if (nmAvailable === null) nmAvailable = existsSync('/usr/bin/nmcli') || existsSync('/bin/nmcli');
  const out: InterfaceInfo[] = [];
  for (const f of facts) {
    const dir = join(sysClassNet, f.name);
    const kind = kinds.get(f.name) ?? 'other';
    const speed = Number(read(join(dir, 'speed')) ?? NaN);
    const common = { name: f.name, kind, mac: read(join(dir, 'address')), speedMbps: Number.isFinite(speed) && speed > 0 ? speed : null };
    if (isContainerLink(f.name, kind, f.linkKind ?? null)) {
      out.push({ ...common, netKey: CONTAINER_LINKS.netKey, netName: CONTAINER_LINKS.netName, meteredAuto: false });
      continue;
    }
    const nm = nmAvailable && kind !== 'loopback' ? await nmMetered(f.name) : { metered: null, connection: null };
    const ssid = ssids.get(f.name);
    const netKey = ssid ? `wifi:${ssid}` : nm.connection ? `conn:${nm.connection}` : `iface:${f.name}`;
    out.push({ ...common, netKey, netName: ssid ?? nm.connection ?? f.name, meteredAuto: nm.metered ?? (kind === 'loopback' ? false : defaultMetered(kind)) });
  }
  return out;
}
