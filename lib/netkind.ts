/** Interface kinds people distinguish when they ask "which app used my mobile data?". */
export type NetKind = 'wifi' | 'ethernet' | 'mobile' | 'tethering' | 'vpn' | 'loopback' | 'virtual' | 'other';

/** What /sys/class/net/<name> tells about an interface (read elsewhere; parsed here). */
export interface SysNetFacts {
  name: string;
  /** ARPHRD type from /sys/class/net/<name>/type (1 ethernet, 772 loopback, 65534 none/tun, 512 ppp, 519 rawip). */
  type: number | null;
  /** DEVTYPE from uevent: wlan, wwan, bridge, vlan, wireguard, gadget, … */
  devtype: string | null;
  /** /sys/class/net/<name>/wireless exists. */
  wireless: boolean;
  /** Kernel driver name (device/driver link), e.g. 'rndis_host', 'cdc_ether', 'veth'. */
  driver: string | null;
  /** Link kind from `ip -d link` / rtnetlink when known (veth, tun, wireguard, bridge…). */
  linkKind?: string | null;
}

const byName: Array<[RegExp, NetKind]> = [
  [/^lo$/, 'loopback'],
  [/^(wlan|wlp|wlx|wl)/, 'wifi'],
  [/^(wwan|wwp|rmnet|ppp|ccmni|mhi)/, 'mobile'],
  [/^(usb|rndis|bnep)/, 'tethering'],
  [/^(tun|tap|wg|vpn|tailscale|zt|nordlynx|proton|ipsec)/, 'vpn'],
  [/^(eth|en|eno|ens|enp)/, 'ethernet'],
  [/^(veth|br|docker|virbr|vnet|lxc|cni|flannel|podman|dummy)/, 'virtual'],
];

/**
 * classifyInterface decides an interface's kind: hardware facts first (wireless,
 * DEVTYPE wwan, tethering drivers, loopback, tunnels), then the name. A veth named
 * like a real interface (the test sandbox's wlan0, wwan0) is classified by its name,
 * because that is the only thing that tells what it stands for.
 */
export function classifyInterface(f: SysNetFacts): NetKind {
  if (isForeignIface(f.name)) return 'virtual';
  if (f.type === 772 || f.name === 'lo') return 'loopback';
  if (f.wireless || f.devtype === 'wlan') return 'wifi';
  if (f.devtype === 'wwan' || f.type === 519 || f.type === 512) return 'mobile';
  if (f.driver && /^(rndis_host|cdc_ether|cdc_ncm|ipheth)$/.test(f.driver)) return 'tethering';
  if (f.devtype === 'wireguard' || f.linkKind === 'wireguard' || f.linkKind === 'tun' || f.type === 65534) return 'vpn';
  for (const [re, kind] of byName) if (re.test(f.name)) return kind;
  if (f.devtype === 'bridge' || f.linkKind === 'veth' || f.linkKind === 'bridge') return 'virtual';
  return f.type === 1 ? 'ethernet' : 'other';
}

/** CONTAINER_LINKS is the one network all container veths, and containers' own interfaces, are on (never metered). */
export const CONTAINER_LINKS = { netKey: 'containers', netName: 'container links' } as const;

/**
 * foreignIfaceName names an interface of another network namespace (a container's own eth0),
 * where an app's socket in that namespace sent or received: its name there and the namespace's
 * inode ('eth0@netns4026532290'), or its index there when the name could not be read
 * ('if2@netns'). Kept apart from the host's interfaces: a host interface is not named like
 * that unless someone renames it so on purpose.
 */
export function foreignIfaceName(name: string | null, ifindex: number, netns: number | null): string {
  return `${name ?? `if${ifindex}`}@netns${netns ?? ''}`;
}

/** isForeignIface tells whether a name is one foreignIfaceName gave. */
export function isForeignIface(name: string): boolean {
  return /@netns\d*$/.test(name);
}

/**
 * isContainerLink says whether an interface is a container's host-side link (docker's, podman's
 * and CNI's vethXXXX, Calico's caliXXXX) or a container's own interface (foreignIfaceName):
 * each container start adds one, so each would be a
 * network of its own on the Networks page and in the filter. A veth named like a real interface
 * (the sandbox's wlan0) has another kind and is not one.
 */
export function isContainerLink(name: string, kind: NetKind, linkKind: string | null = null): boolean {
  return isForeignIface(name) || (kind === 'virtual' && (/^(veth|cali)/.test(name) || linkKind === 'veth'));
}

/** defaultMetered is the metered guess when neither NetworkManager nor the user said: mobile and tethering are. */
export function defaultMetered(kind: NetKind): boolean {
  return kind === 'mobile' || kind === 'tethering';
}

/** parseUevent reads KEY=value lines of a sysfs uevent file. */
export function parseUevent(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}
