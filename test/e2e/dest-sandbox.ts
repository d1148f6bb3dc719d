/**
 * The set-up the destinations browser tests share: a sandbox whose Wi-Fi peer serves a TCP sink
 * on one port at two addresses, the real collector counting with BPF, the app
 * (fetcher.service) reaching both once, and the production dashboard logged in on its store.
 * Everything made is removed by close(), also when the set-up fails half-way.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createSandbox, type ExecResult, type Link, type Sandbox } from '../../collector/sandbox/sandbox';
import { systemdSkeleton, TRAFFIC } from '../../collector/sandbox/workloads';
import { openDb } from '../../db/open';
import { sleep, startCollector, waitForPoll, waitListening } from '../privileged/helpers';
import { loggedIn, shareableDir, shareDb, startDashboard, type Browser, type Dashboard } from './helpers';

/** The app the sandbox runs, by cgroup path and by key. */
export const DEST_APP = 'system.slice/fetcher.service';
export const DEST_APP_KEY = 'fetcher.service';

export interface DestinationsSandbox {
  s: Sandbox;
  wlan: Link;
  dash: Dashboard;
  b: Browser;
  /** The store's path. */
  db: string;
  /** The peer's two addresses, both serving `port`. */
  peers: [string, string];
  port: number;
  /** send has the app send `bytes` to a peer address (exit code 0: it got through). */
  send(host: string, bytes?: number): Promise<ExecResult>;
  /** appId is the app's id in the store (its page is /apps/ID). */
  appId(): number;
  close(): Promise<void>;
}

/**
 * startDestinationsSandbox builds the set-up above on the sandbox link 10.200.`subnet`.0/24;
 * the second peer address is `otherPeer` (in that subnet).
 */
export async function startDestinationsSandbox(opts: { subnet: number; otherPeer: string; port: number; dirPrefix: string }): Promise<DestinationsSandbox> {
  const node = process.execPath;
  const made: { s?: Sandbox; dash?: Dashboard; b?: Browser; dir?: string } = {};
  const close = async () => {
    await made.b?.close();
    await made.dash?.close();
    await made.s?.close();
    if (made.dir) rmSync(made.dir, { recursive: true, force: true });
  };
  try {
    made.dir = shareableDir(opts.dirPrefix);
    const db = join(made.dir, 'appnet.db');
    const s = (made.s = await createSandbox());
    const wlan = await s.addLink({ name: 'wlan0', subnet: opts.subnet });
    await s.execOk(['ip', 'addr', 'add', `${opts.otherPeer}/24`, 'dev', wlan.peerName], { net: 'peer' });
    systemdSkeleton(s);
    const peers: [string, string] = [wlan.peerV4, opts.otherPeer];
    for (const host of peers) await s.spawn([node, TRAFFIC, 'serve-tcp', host, String(opts.port), 'sink'], { net: 'peer' });
    await waitListening(s, opts.port, { net: 'peer' });
    const send = (host: string, bytes = 50000) => s.exec([node, TRAFFIC, 'tcp-send', host, String(opts.port), String(bytes)], { cgroup: DEST_APP, timeoutMs: 5000 });
    await startCollector(s, db, { interval: 1, counter: 'bpf' });
    await waitForPoll(db, Date.now());
    for (const host of peers) assert.equal((await send(host)).code, 0, `the app reaches ${host} before any rule`);
    await sleep(300);
    await waitForPoll(db, Date.now());
    shareDb(db);
    made.dash = await startDashboard({ db });
    made.b = await loggedIn(made.dash);
    const appId = () => {
      const d = openDb(db, { readonly: true });
      try {
        return (d.prepare('SELECT id FROM apps WHERE app_key = ?').get(DEST_APP_KEY) as { id: number }).id;
      } finally {
        d.close();
      }
    };
    return { s, wlan, dash: made.dash, b: made.b, db, peers, port: opts.port, send, appId, close };
  } catch (err) {
    await close();
    throw err;
  }
}
