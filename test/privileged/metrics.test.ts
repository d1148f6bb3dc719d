/**
 * /metrics on real traffic: the real collector counts real packets in the sandbox, the
 * headless listener serves them, promtool accepts the text, the numbers match what the
 * peer measured, and the counters never go down across a collector SIGKILL and restart.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSandbox, type Link, type Running, type Sandbox } from '../../collector/sandbox/sandbox';
import { APPNET, peerTruth, sleep, startCollector, systemdSkeleton, tempDir, TRAFFIC, waitForPoll, waitListening, within } from './helpers';

const node = process.execPath;
const PORT = 9477;
/** The collector's own listener (`appnet collect --metrics-listen`). */
const COLLECTOR_PORT = 9479;

type Samples = Map<string, number>;

/** parseSamples reads the text format into 'name{labels}' → value (comments skipped). */
function parseSamples(text: string): Samples {
  const m: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

function sample(s: Samples, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let found: number | undefined;
  for (const [k, v] of s) if ((k === name || k.startsWith(`${name}{`)) && want.every((w) => k.includes(w))) found = (found ?? 0) + v;
  if (found === undefined) throw new Error(`no sample ${name} with ${want.join(',')}`);
  return found;
}

function promtool(text: string): { code: number | null; out: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error) throw new Error(`promtool not runnable (Debian package prometheus): ${r.error.message}`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('Prometheus metrics from real traffic', () => {
  let s: Sandbox;
  let wlan: Link;
  let tmp: ReturnType<typeof tempDir>;
  let truth: Awaited<ReturnType<typeof peerTruth>>;
  let db: string;
  let collector: Running;
  let listener: Running;

  /** scrape fetches /metrics from inside the sandbox (the listener is on the sandbox's loopback). */
  const scrape = async (headers: Record<string, string> = {}, port = PORT): Promise<{ status: number; text: string; type: string }> => {
    const js = `const r = await fetch('http://127.0.0.1:${port}/metrics', { headers: ${JSON.stringify(headers)} });
      process.stdout.write(JSON.stringify({ status: r.status, type: r.headers.get('content-type'), text: await r.text() }));`;
    return JSON.parse(await s.execOk([node, '--input-type=module', '-e', js])) as { status: number; text: string; type: string };
  };

  before(async () => {
    tmp = tempDir();
    db = join(tmp.dir, 'metrics.db');
    s = await createSandbox();
    wlan = await s.addLink({ name: 'wlan0', subnet: 21 });
    systemdSkeleton(s);
    truth = await peerTruth(s, [7001, 7002]);
    await s.spawn([node, TRAFFIC, 'serve-tcp', wlan.peerV4, '7001', 'sink'], { net: 'peer' });
    await s.spawn([node, TRAFFIC, 'serve-tcp', wlan.peerV4, '7002', 'source:3000000'], { net: 'peer' });
    await waitListening(s, 7001, { net: 'peer' });
    await waitListening(s, 7002, { net: 'peer' });
    collector = await s.spawn([node, APPNET, 'collect', '--db', db, '--interval', '1', '--element-timeout', '60', '--metrics-listen', `127.0.0.1:${COLLECTOR_PORT}`]);
    await waitForPoll(db, Date.now());
    listener = await s.spawn([node, APPNET, 'metrics', '--db', db, '--listen', `127.0.0.1:${PORT}`]);
    await waitListening(s, PORT);
  });

  after(async () => {
    await s?.close();
    tmp?.remove();
  });

  test('the text passes promtool and its byte counters match the peer within 1%', async () => {
    await s.execOk([node, TRAFFIC, 'tcp-send', wlan.peerV4, '7001', '4000000'], { cgroup: 'system.slice/backup.service' });
    await s.execOk([node, TRAFFIC, 'tcp-recv', wlan.peerV4, '7002'], { cgroup: 'system.slice/fetch.service' });
    await sleep(200);
    await waitForPoll(db, Date.now());
    const r = await scrape();
    assert.equal(r.status, 200);
    assert.match(r.type, /^text\/plain; version=0\.0\.4/);
    const check = promtool(r.text);
    assert.equal(check.code, 0, `promtool check metrics failed:\n${check.out}`);
    const m = parseSamples(r.text);
    const t = await truth();
    const wl = { iface: 'wlan0' };
    within(sample(m, 'appnet_app_bytes_total', { app: 'backup.service', ...wl, direction: 'out' }), t.get('in-7001')!.bytes, 1, 'backup.service bytes out');
    within(sample(m, 'appnet_app_bytes_total', { app: 'fetch.service', ...wl, direction: 'in' }), t.get('out-7002')!.bytes, 1, 'fetch.service bytes in');
    within(sample(m, 'appnet_app_packets_total', { app: 'backup.service', ...wl, direction: 'out' }), t.get('in-7001')!.packets, 1, 'backup.service packets out');
    assert.equal(sample(m, 'appnet_app_info', { app: 'backup.service', name: 'backup', kind: 'service' }), 1);
    // Collector health: a recent successful poll and the fill of the counter sets.
    const last = sample(m, 'appnet_collector_last_success_timestamp_seconds', {});
    assert.ok(Date.now() / 1000 - last < 30, `last successful poll ${Date.now() / 1000 - last} s ago`);
    assert.equal(sample(m, 'appnet_collector_source_up', { source: 'counters' }), 1);
    // The collector counts with BPF where it loads (here it does): the map holds our apps; nft counts nothing (the interfaces' statistics are the totals).
    assert.equal(sample(m, 'appnet_accounting_source', { source: 'bpf' }), 1, 'the BPF program counts per app');
    assert.equal(sample(m, 'appnet_accounting_source', { source: 'nft' }), 0);
    assert.ok(sample(m, 'appnet_bpf_map_entries', {}) >= 2, 'the map holds the entries of our apps');
    assert.equal(sample(m, 'appnet_bpf_map_size', {}), 65536);
    assert.ok(![...m.keys()].some((k) => k.startsWith('appnet_nft_set_elements{')), 'no nft counter set to report');
    assert.ok(sample(m, 'appnet_collector_poll_duration_seconds', {}) > 0);
    // The collector's own listener serves the same store.
    const own = await scrape({}, COLLECTOR_PORT);
    assert.equal(own.status, 200);
    assert.equal(promtool(own.text).code, 0);
    within(sample(parseSamples(own.text), 'appnet_app_bytes_total', { app: 'backup.service', ...wl, direction: 'out' }), t.get('in-7001')!.bytes, 1, 'backup.service bytes out (collect --metrics-listen)');
  });

  test('counters never go down across a SIGKILL and restart of the collector, and count the new traffic', async () => {
    const before = parseSamples((await scrape()).text);
    s.kill(collector.pid, 'SIGKILL');
    await collector.done;
    await s.execOk([node, TRAFFIC, 'tcp-send', wlan.peerV4, '7001', '2000000'], { cgroup: 'system.slice/backup.service' });
    collector = await startCollector(s, db, { interval: 1 });
    await waitForPoll(db, Date.now());
    await s.execOk([node, TRAFFIC, 'tcp-send', wlan.peerV4, '7001', '1000000'], { cgroup: 'system.slice/backup.service' });
    await sleep(200);
    await waitForPoll(db, Date.now());
    const afterText = (await scrape()).text;
    assert.equal(promtool(afterText).code, 0);
    const after = parseSamples(afterText);
    for (const [k, v] of before) {
      if (!/_total\{/.test(k)) continue;
      assert.ok(after.has(k), `series ${k} disappeared`);
      assert.ok(after.get(k)! >= v, `counter ${k} went down: ${v} → ${after.get(k)}`);
    }
    const t = await truth();
    within(sample(after, 'appnet_app_bytes_total', { app: 'backup.service', iface: 'wlan0', direction: 'out' }), t.get('in-7001')!.bytes, 1, 'backup.service bytes out after the restart');
  });

  test('with a token file the listener answers 401 without the bearer token and 200 with it', async () => {
    const tokenFile = join(tmp.dir, 'scrape-token');
    const token = 'k3y-for-the-scraper-0123456789abcdef';
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const guarded = await s.spawn([node, APPNET, 'metrics', '--db', db, '--listen', `127.0.0.1:${PORT + 1}`, '--token-file', tokenFile]);
    await waitListening(s, PORT + 1);
    assert.equal((await scrape({}, PORT + 1)).status, 401);
    assert.equal((await scrape({ authorization: 'Bearer wrong-token-0123456789' }, PORT + 1)).status, 401);
    const ok = await scrape({ authorization: `Bearer ${token}` }, PORT + 1);
    assert.equal(ok.status, 200);
    assert.match(ok.text, /appnet_app_bytes_total\{app="backup.service"/);
    s.kill(guarded.pid);
    await guarded.done;
  });

  test('a listen address other machines can reach is refused without the expose flag', async () => {
    const c = await s.exec([node, APPNET, 'collect', '--db', db, '--once', '--metrics-listen', `0.0.0.0:${PORT + 3}`]);
    assert.notEqual(c.code, 0, 'collect refuses a non-loopback --metrics-listen');
    assert.match(c.stderr, /refusing to serve metrics on 0\.0\.0\.0/);
    const r = await s.exec([node, APPNET, 'metrics', '--db', db, '--listen', `${wlan.v4}:${PORT + 2}`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /refusing to serve metrics on 10\.200\.21\.1/);
    const exposed = await s.spawn([node, APPNET, 'metrics', '--db', db, '--listen', `${wlan.v4}:${PORT + 2}`, '--expose-to-network']);
    await waitListening(s, PORT + 2);
    s.kill(exposed.pid);
    await exposed.done;
    s.kill(listener.pid);
    await listener.done;
  });
});
