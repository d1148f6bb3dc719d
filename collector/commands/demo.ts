import { spawn, type ChildProcess } from 'node:child_process';
import { lstatSync, mkdtempSync, rmSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { createSandbox } from '../sandbox/sandbox';
import { PRIVATE_ETC, prepareDemoAccount } from '../sandbox/demo-account';
import { demoServers, DEMO_WORKLOADS, startDemoApps, systemdSkeleton } from '../sandbox/workloads';
import { safeDirectory } from '../../db/store-file';
import { prepareStoreDir, shareStore, WEB_USER } from '../webuser';
import { requireNetAdmin } from '../privileges';

const APPNET = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'appnet.mjs');

interface DemoOptions {
  db?: string;
  duration?: string;
  serve?: boolean;
  counter: string;
  port: string;
}

interface DemoStore {
  db: string;
  dir: string;
  /** A directory made for this run, removed when it ends. */
  fresh: boolean;
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * demoStore picks the demo's store. Without --db it is a fresh private directory (mkdtemp,
 * mode 0700) that nobody else can have prepared; a fixed name in /tmp could be made in
 * advance by any local user, as a link or as their own directory. With --db, an existing
 * directory must be a real directory of root's that only root may write (never a link).
 */
function demoStore(db: string | undefined): DemoStore {
  if (db === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'appnet-demo-'));
    return { db: join(dir, 'appnet.db'), dir, fresh: true };
  }
  const dir = dirname(resolve(db));
  const st = lstatOrNull(dir);
  const refuse = (why: string) => new Error(`refusing ${dir} as the demo's store directory: ${why}; leave out --db for a fresh private one`);
  if (st?.isSymbolicLink()) throw refuse('it is a symbolic link');
  if (st && !st.isDirectory()) throw refuse('it is not a directory');
  if (st && st.uid !== (process.geteuid?.() ?? 0)) throw refuse(`it belongs to uid ${st.uid}, not to root`);
  if (st && st.mode & 0o022) throw refuse(`other accounts may write it (mode ${(st.mode & 0o777).toString(8)})`);
  safeDirectory(dir, { create: true, store: db });
  return { db: resolve(db), dir, fresh: false };
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
    .option('--db <path>', 'store for the demo (default: appnet.db in a fresh private directory, removed afterwards)')
    .option('--duration <seconds>', 'stop after this many seconds (default: until Ctrl-C)')
    .option('--serve', 'also start the dashboard on the demo store')
    .option('--counter <mechanism>', 'what counts per app in the demo: auto, bpf or nft', 'auto')
    .option('--port <n>', 'dashboard port', '7171')
    .action(async (opts: DemoOptions) => {
      requireNetAdmin();
      const store = demoStore(opts.db);
      const db = store.db;
      const s = await createSandbox().catch((err: unknown) => {
        if (store.fresh) rmSync(store.dir, { recursive: true, force: true });
        throw err;
      });
      let dashboard: ChildProcess | null = null;
      let stopping = false;
      const timers: NodeJS.Timeout[] = [];
      const done = new Promise<void>((resolve) => {
        const stop = () => {
          if (stopping) return;
          stopping = true;
          for (const t of timers) clearInterval(t);
          dashboard?.kill('SIGTERM');
          const removeStore = () => {
            if (store.fresh) rmSync(store.dir, { recursive: true, force: true });
            resolve();
          };
          s.close().then(removeStore, removeStore);
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
        await s.spawn([process.execPath, APPNET, 'collect', '--db', db, '--interval', '2', '--counter', opts.counter]);
        await startDemoApps(s, { wlan, wwan });
        DEMO_WORKLOADS.forEach((w) => {
          let n = 0;
          timers.push(setInterval(() => void w.run(s, { wlan, wwan }, n++).catch(() => undefined), w.every * 1000));
        });
        process.stdout.write(`appnet demo: a sandboxed laptop with wlan0 (Wi-Fi) and wwan0 (mobile) is making traffic.\n  see it:   node bin/appnet.mjs top --db ${db} --since 10m\n`);
        if (opts.serve) {
          // No host account and nothing under /etc: the dashboard's account and secret live beside the demo's store.
          const web = prepareDemoAccount(store.dir);
          await new Promise((r) => setTimeout(r, 3000));
          prepareStoreDir(store.dir, web.gid);
          shareStore(db, web.gid);
          dashboard = spawn(
            'unshare',
            ['-m', '--propagation', 'private', '--', process.execPath, PRIVATE_ETC, web.passwd, web.group, '--',
              process.execPath, APPNET, 'serve', '--db', db, '--port', opts.port, '--user', WEB_USER, '--secret-dir', web.secretDir],
            // Processes now: the demo's cgroups as the host sees them. The banner knows the collector ends with the demo.
            { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, APPNET_CGROUP_ROOT: s.cgroupDir, APPNET_DEMO: '1' } },
          );
        }
        process.stdout.write('  stop it:  Ctrl-C (the sandbox and everything in it is removed)\n');
      } catch (err) {
        await s.close();
        if (store.fresh) rmSync(store.dir, { recursive: true, force: true });
        throw err;
      }
      await done;
    });
}
