import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { createSandbox } from '../sandbox/sandbox';
import { PRIVATE_ETC, prepareDemoAccount } from '../sandbox/demo-account';
import { demoServers, DEMO_WORKLOADS, startDemoApps, systemdSkeleton } from '../sandbox/workloads';
import { shareStore, WEB_USER } from '../webuser';
import { requireNetAdmin } from '../privileges';

const APPNET = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'appnet.mjs');

interface DemoOptions {
  db: string;
  duration?: string;
  serve?: boolean;
  port: string;
}

/**
 * registerDemo adds `appnet demo`: a sandbox that looks like a laptop (Wi-Fi and mobile
 * links, systemd units and desktop app scopes making real traffic), the real collector
 * counting it, and optionally the dashboard on its store. Everything is removed on exit,
 * on Ctrl-C, and (by the next run) after a crash.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('show appnet at work in a throw-away sandbox with real apps and traffic (root)')
    .option('--db <path>', 'store for the demo', join(tmpdir(), 'appnet-demo', 'appnet.db'))
    .option('--duration <seconds>', 'stop after this many seconds (default: until Ctrl-C)')
    .option('--serve', 'also start the dashboard on the demo store')
    .option('--port <n>', 'dashboard port', '7171')
    .action(async (opts: DemoOptions) => {
      requireNetAdmin();
      mkdirSync(dirname(opts.db), { recursive: true });
      const s = await createSandbox();
      let dashboard: ChildProcess | null = null;
      let stopping = false;
      const timers: NodeJS.Timeout[] = [];
      const done = new Promise<void>((resolve) => {
        const stop = () => {
          if (stopping) return;
          stopping = true;
          for (const t of timers) clearInterval(t);
          dashboard?.kill('SIGTERM');
          s.close().then(resolve, resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        if (opts.duration) setTimeout(stop, Number(opts.duration) * 1000);
      });
      try {
        const wlan = await s.addLink({ name: 'wlan0', subnet: 1 });
        const wwan = await s.addLink({ name: 'wwan0', subnet: 2 });
        systemdSkeleton(s);
        await demoServers(s, { wlan, wwan });
        await s.spawn([process.execPath, APPNET, 'collect', '--db', opts.db, '--interval', '2']);
        await startDemoApps(s, { wlan, wwan });
        DEMO_WORKLOADS.forEach((w) => {
          let n = 0;
          timers.push(setInterval(() => void w.run(s, { wlan, wwan }, n++).catch(() => undefined), w.every * 1000));
        });
        process.stdout.write(`appnet demo: a sandboxed laptop with wlan0 (Wi-Fi) and wwan0 (mobile) is making traffic.\n  see it:   node bin/appnet.mjs top --db ${opts.db} --since 10m\n`);
        if (opts.serve) {
          // No host account and nothing under /etc: the dashboard's account and secret live beside the demo's store.
          const web = prepareDemoAccount(dirname(opts.db));
          await new Promise((r) => setTimeout(r, 3000));
          shareStore(opts.db, web.gid);
          dashboard = spawn(
            'unshare',
            ['-m', '--propagation', 'private', '--', process.execPath, PRIVATE_ETC, web.passwd, web.group, '--',
              process.execPath, APPNET, 'serve', '--db', opts.db, '--port', opts.port, '--user', WEB_USER, '--secret-dir', web.secretDir],
            // Processes now: the demo's cgroups as the host sees them. The banner knows the collector ends with the demo.
            { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, APPNET_CGROUP_ROOT: s.cgroupDir, APPNET_DEMO: '1' } },
          );
        }
        process.stdout.write('  stop it:  Ctrl-C (the sandbox and everything in it is removed)\n');
      } catch (err) {
        await s.close();
        throw err;
      }
      await done;
    });
}
