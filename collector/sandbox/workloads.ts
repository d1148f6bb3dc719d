/**
 * Realistic machines for the sandbox: the cgroups a systemd host has before any app
 * starts, and the apps the demo runs (a browser and a music app on mobile data, a
 * backup service on Wi-Fi, DNS, a web server with inbound clients, package downloads
 * in short-lived scopes).
 */
import { join } from 'node:path';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Link, Sandbox } from './sandbox';

export const TRAFFIC = join(dirname(fileURLToPath(import.meta.url)), 'traffic.mjs');

/**
 * systemdSkeleton creates the cgroups every systemd host has before any app starts
 * (slices, the user manager, a long-running service and user service), so the
 * collector starts out knowing the depths where units live, as it would on a real machine.
 */
export function systemdSkeleton(s: Sandbox): void {
  for (const p of [
    'init.scope',
    'system.slice/cron.service',
    'user.slice/user-1000.slice/user@1000.service/init.scope',
    'user.slice/user-1000.slice/user@1000.service/app.slice/dbus-broker.service',
    'user.slice/user-1000.slice/session-2.scope',
  ])
    s.mkCgroup(p);
}

export const APP = 'user.slice/user-1000.slice/user@1000.service/app.slice';

export interface Workload {
  name: string;
  /** Seconds between runs. */
  every: number;
  /** Starts one run. */
  run(s: Sandbox, links: { wlan: Link; wwan: Link }, n: number): Promise<unknown>;
}

const node = process.execPath;

/** demoServers starts the peer-side servers the demo workloads talk to, and the inbound-facing web server. */
export async function demoServers(s: Sandbox, { wlan, wwan }: { wlan: Link; wwan: Link }): Promise<void> {
  await s.spawn([node, TRAFFIC, 'serve-tcp', wwan.peerV4, '443', 'source:1500000'], { net: 'peer' });
  await s.spawn([node, TRAFFIC, 'serve-tcp', wwan.peerV4, '4070', 'source:400000'], { net: 'peer' });
  await s.spawn([node, TRAFFIC, 'serve-tcp', wlan.peerV4, '873', 'sink'], { net: 'peer' });
  await s.spawn([node, TRAFFIC, 'serve-tcp', wlan.peerV6, '80', 'source:500000'], { net: 'peer' });
  await s.spawn([node, TRAFFIC, 'serve-udp', wwan.peerV4, '53'], { net: 'peer' });
  await s.spawn([node, TRAFFIC, 'serve-tcp', wlan.v4, '8080', 'source:300000'], { cgroup: 'system.slice/nginx.service' });
}

/** DEMO_WORKLOADS are the apps `appnet demo` keeps busy. */
export const DEMO_WORKLOADS: Workload[] = [
  { name: 'firefox', every: 3, run: (s, l) => s.exec([node, TRAFFIC, 'tcp-recv', l.wwan.peerV4, '443'], { cgroup: `${APP}/app-gnome-firefox-4711.scope` }) },
  { name: 'spotify', every: 2, run: (s, l) => s.exec([node, TRAFFIC, 'tcp-recv', l.wwan.peerV4, '4070'], { cgroup: `${APP}/app-flatpak-com.spotify.Client-5120.scope` }) },
  { name: 'backup', every: 5, run: (s, l) => s.exec([node, TRAFFIC, 'tcp-send', l.wlan.peerV4, '873', '2000000'], { cgroup: 'system.slice/backup.service' }) },
  { name: 'dns', every: 1, run: (s, l) => s.exec([node, TRAFFIC, 'udp-send', l.wwan.peerV4, '53', '5', '80'], { cgroup: 'system.slice/systemd-resolved.service' }) },
  { name: 'web clients', every: 2, run: (s, l) => s.exec([node, TRAFFIC, 'tcp-recv', l.wlan.v4, '8080'], { net: 'peer' }) },
  { name: 'apt', every: 10, run: (s, l, n) => s.exec([node, TRAFFIC, 'tcp-recv', l.wlan.peerV6, '80'], { cgroup: `system.slice/run-u${100 + n}.scope`, env: { APPNET_PROCESS_NAME: 'apt' } }) },
];
