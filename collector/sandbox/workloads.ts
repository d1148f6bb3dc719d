/**
 * Realistic machines for the sandbox: the cgroups a systemd host has before any app
 * starts, and the apps the demo runs (a browser and a music app on mobile data, a
 * backup service on Wi-Fi, DNS, a web server with inbound clients — long-running — and
 * package downloads in short-lived scopes).
 */
import { rmdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
  await s.spawn([node, TRAFFIC, 'serve-tcp', wlan.v4, '8080', 'source:300000'], { cgroup: 'system.slice/nginx.service', env: named('nginx') });
}

/** named gives a sandboxed stand-in the process name of the program it plays (cgexec.mjs, traffic.mjs). */
const named = (comm: string) => ({ APPNET_PROCESS_NAME: comm });

/**
 * startDemoApps starts the apps that run for the whole demo, as they would on a laptop: one
 * long-running process each, in its own cgroup, making a transfer every few seconds (no process
 * start per transfer, so the demo stays light beside the dashboard).
 */
export async function startDemoApps(s: Sandbox, { wlan, wwan }: { wlan: Link; wwan: Link }): Promise<void> {
  const every = (ms: number, args: string[], opts: Parameters<Sandbox['spawn']>[1]) => s.spawn([node, TRAFFIC, 'every', String(ms), ...args], opts);
  await every(3000, ['tcp-recv', wwan.peerV4, '443'], { cgroup: `${APP}/app-gnome-firefox-4711.scope`, env: named('firefox') });
  await every(2000, ['tcp-recv', wwan.peerV4, '4070'], { cgroup: `${APP}/app-flatpak-com.spotify.Client-5120.scope`, env: named('spotify') });
  await every(5000, ['tcp-send', wlan.peerV4, '873', '2000000'], { cgroup: 'system.slice/backup.service', env: named('restic') });
  await every(1000, ['udp-send', wwan.peerV4, '53', '5', '80'], { cgroup: 'system.slice/systemd-resolved.service', env: named('systemd-resolve') });
  await every(2000, ['tcp-recv', wlan.v4, '8080'], { net: 'peer' });
}

/**
 * DEMO_WORKLOADS are the demo's short runs, each in a scope of its own that is removed when the
 * run ends, as systemd removes a finished scope: package downloads in unnamed systemd-run scopes.
 */
export const DEMO_WORKLOADS: Workload[] = [
  {
    name: 'apt',
    every: 10,
    run: async (s, l, n) => {
      const scope = `system.slice/run-u${100 + n}.scope`;
      try {
        // A download, then a few seconds of unpacking: a run lives across a poll, as apt does.
        return await s.exec([node, TRAFFIC, 'tcp-recv', l.wlan.peerV6, '80', '3000'], { cgroup: scope, env: named('apt') });
      } finally {
        try {
          rmdirSync(s.cgroupPath(scope));
        } catch {
          /* still has a process (timed out): the sandbox's removal takes it */
        }
      }
    },
  },
];
