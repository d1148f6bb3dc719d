/**
 * systemd's NFTSet= (systemd ≥ 255) for system services with firewall rules: systemd adds
 * each new cgroup of the unit to a cgroupsv2 set in our table before the service's first
 * process runs, and removes it when the unit stops, so the rules hold across restarts with
 * no gap. The collector's watcher (collector/rules/watch.ts) stays the fallback where
 * systemd is older or absent.
 *
 * Naming is shared with the firewall (lib/nft/firewall.ts): an app with rules has the id
 * of its fw_apps row, which names its chains fw_a<id>_in/out; its set is fw_c<id>. The
 * firewall's base chains dispatch on the set before the verdict maps:
 *   socket cgroupv2 level 2 @fw_c3 goto fw_a3_in
 */
import { isSafeCgroupPath, TABLE_FAMILY, TABLE_NAME, fwAppChain } from './names';

/** fwCgroupSet names the cgroupsv2 set systemd fills for the app with fw_apps id `appId`. */
export const fwCgroupSet = (appId: number): string => `fw_c${appId}`;

/** DROPIN_NAME is the file appnet owns in each <unit>.d/ directory. */
export const DROPIN_NAME = '50-appnet-nftset.conf';

/** NFTSET_MIN_SYSTEMD is the first systemd version that knows NFTSet=. */
export const NFTSET_MIN_SYSTEMD = 255;

const SECTION: Record<string, string> = { service: 'Service', scope: 'Scope', slice: 'Slice', socket: 'Socket', mount: 'Mount', swap: 'Swap' };

/** isSystemUnitName accepts a plain systemd unit name (no path, no user: prefix) of a kind NFTSet= applies to. */
export function isSystemUnitName(unit: string): boolean {
  return /^[A-Za-z0-9:_.\\@-]{1,250}\.(service|scope|slice|socket|mount|swap)$/.test(unit) && !unit.startsWith('.') && !unit.includes('..');
}

/**
 * nftSetDropIn renders the drop-in that puts a unit's cgroup into the app's set:
 *   [Service]
 *   NFTSet=cgroup:inet:appnet:fw_c3
 */
export function nftSetDropIn(unit: string, appId: number): string {
  if (!isSystemUnitName(unit)) throw new Error(`'${unit}' is not a system unit name NFTSet= applies to`);
  if (!Number.isSafeInteger(appId) || appId < 0) throw new Error(`app id ${String(appId)} is not a whole number`);
  const kind = unit.slice(unit.lastIndexOf('.') + 1);
  return [
    '# Written by `appnet nftset`: systemd adds this unit\'s cgroup to appnet\'s set before',
    '# the first process starts (systemd >= 255), so the firewall rules hold from its first packet.',
    `[${SECTION[kind]}]`,
    `NFTSet=cgroup:${TABLE_FAMILY}:${TABLE_NAME}:${fwCgroupSet(appId)}`,
    '',
  ].join('\n');
}

export interface SetBinding {
  appId: number;
  /** Cgroup level of the unit: 2 for system.slice/nginx.service. */
  level: number;
  /** Hooks the app's chains do something on (default both): the others get no lookup. */
  hooks?: readonly ('in' | 'out')[];
}

function checkBinding(b: SetBinding): void {
  if (!Number.isSafeInteger(b.appId) || b.appId < 0 || !Number.isInteger(b.level) || b.level < 1 || b.level > 12) {
    throw new Error(`NFTSet binding ${JSON.stringify(b)} is out of range`);
  }
}

/** nftSetDeclarations declares each app's set: add set inet appnet fw_c3 { type cgroupsv2; } */
export function nftSetDeclarations(bindings: readonly SetBinding[]): string[] {
  bindings.forEach(checkBinding);
  return bindings.map((b) => `add set ${TABLE_FAMILY} ${TABLE_NAME} ${fwCgroupSet(b.appId)} { type cgroupsv2; }`);
}

/** nftSetRule is one binding's dispatch rule in a hook's base chain: add rule inet appnet fw_input socket cgroupv2 level 2 @fw_c3 goto fw_a3_in */
export function nftSetRule(b: SetBinding, hook: 'in' | 'out', chain: string): string {
  checkBinding(b);
  return `add rule ${TABLE_FAMILY} ${TABLE_NAME} ${chain} socket cgroupv2 level ${b.level} @${fwCgroupSet(b.appId)} goto ${fwAppChain(b.appId, hook)}`;
}

/** setHooks: the hooks a binding dispatches on (default both). */
export const setHooks = (b: SetBinding): readonly ('in' | 'out')[] => b.hooks ?? ['in', 'out'];

/**
 * systemUnitOfAppKey returns the unit of a system-service app key ('nginx.service'), or null
 * for other apps: desktop apps, user services (user:…), containers, executables and paths.
 */
export function systemUnitOfAppKey(appKey: string): string | null {
  if (/^(?:user|app|container|exe):/.test(appKey) || appKey.includes('/')) return null;
  return isSystemUnitName(appKey) && isSafeCgroupPath(appKey) ? appKey : null;
}

/**
 * defaultUnitLevel is the cgroup level systemd gives a system unit unless its Slice= says
 * otherwise: system.slice/nginx.service is 2, while an instance of a template goes into the
 * template's slice, system.slice/system-postgresql.slice/postgresql@15-main.service: 3 (so do
 * the per-connection instances that the app key sshd@.service stands for).
 */
export function defaultUnitLevel(unit: string): number {
  return unit.includes('@') && unit.endsWith('.service') ? 3 : 2;
}

/** parseSystemdVersion reads the version from `systemctl --version` ("systemd 255 (255.4-1)"). */
export function parseSystemdVersion(text: string): number | null {
  const m = /^systemd (\d+)/.exec(text.trim());
  return m ? Number(m[1]) : null;
}
