/**
 * Per-app destinations on the real kernel (issue 19), counted by each source (the BPF
 * program's map, or nft's destination sets with `--counter nft`): an app
 * talking to three peers — one by name through a DNS server in the peer namespace (a CNAME
 * chain), one by IPv4 address, one over IPv6 — shows all three, with the name where a DNS
 * answer gave one, and bytes within 1 % of what the peers counted; its destinations and
 * "other destinations" add up to its total; turning destinations off stops recording. On the
 * BPF source the names come from the program's DNS ring, with no nft rule logging answers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createSandbox, type Link, type Sandbox } from '../../collector/sandbox/sandbox';
import { openDb } from '../../db/open';
import { TABLE_FAMILY, TABLE_NAME } from '../../lib/nft/names';
import { getAppDestinations, getDestinationsState, setDestinationsSetting, type AppDestinations } from '../../db/queries/destinations';
import { APPNET, appTotals, childPid, COUNTERS, countersDetail, peerTruth, ROOT, sleep, startCollector, systemdSkeleton, tempDir, TRAFFIC, waitForPoll, waitListening, within, type Counter } from './helpers';

const node = process.execPath;
const DNS = join(ROOT, 'test', 'privileged', 'dest-dns.mjs');
const APP = 'system.slice/fetcher.service';
const NAMED = '10.200.3.77';
/** A second DNS server and the address it names, for the answers only the program sees. */
const RING_DNS = '10.200.3.78';
const RING_NAMED = '10.200.3.79';
/** What each source can hold: the BPF map's entries, or nft's eight sets of 4,096. */
const CAPACITY: Record<Counter, number> = { bpf: 16384, nft: 8 * 4096 };

for (const counter of COUNTERS) describe(`per-app destinations, counted by ${counter}`, () => destinations(counter));

/** The answers the program's DNS ring holds (256 KiB of 528-byte records), and more than that. */
const RING_HOLDS = 496;
const FLOOD = 900;

test("DNS answers the program's ring had no room for: counted, and said by the collector", async () => {
  const tmp = tempDir();
  const s = await createSandbox();
  try {
    const wlan = await s.addLink({ name: 'wlan0', subnet: 3 });
    systemdSkeleton(s);
    const db = join(tmp.dir, 'appnet.db');
    await s.spawn([node, TRAFFIC, 'serve-udp', wlan.v6, '7205'], { cgroup: APP });
    await waitListening(s, 7205, { udp: true });
    const collector = await startCollector(s, db, { interval: 1, counter: 'bpf' });
    await waitForPoll(db, Date.now());
    await waitForPoll(db, Date.now());
    const reader = childPid(collector.pid, 'dnsring');
    assert.ok(reader, 'the collector reads the DNS ring with dnsring');
    // The reader stopped, the ring fills up with the first answers and counts the rest as lost.
    s.kill(reader, 'SIGSTOP');
    await s.execOk([node, DNS, '--flood', wlan.peerV6, wlan.v6, '7205', String(FLOOD)], { net: 'peer' });
    s.kill(reader, 'SIGCONT');
    await sleep(1500);
    await waitForPoll(db, Date.now());
    s.kill(collector.pid, 'SIGTERM');
    const { stderr } = await collector.done;
    const m = /host names: DNS answers were lost before they were read \((\d+) found the BPF program's DNS ring full\)/.exec(stderr);
    assert.ok(m, `the collector says answers were lost: ${stderr}`);
    const lost = Number(m[1]);
    assert.ok(lost >= FLOOD - RING_HOLDS - 10 && lost <= FLOOD - RING_HOLDS + 10, `about ${FLOOD - RING_HOLDS} lost (IPv6 answers, all copied until the ring was full): ${lost}`);
  } finally {
    await s.close();
    tmp.remove();
  }
});

function destinations(counter: Counter): void {
  let s: Sandbox;
  let wlan: Link;
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  let collector: { pid: number };

  before(async () => {
    tmp = tempDir();
    db = join(tmp.dir, 'appnet.db');
    s = await createSandbox();
    wlan = await s.addLink({ name: 'wlan0', subnet: 3 });
    for (const a of [NAMED, RING_DNS, RING_NAMED]) await s.execOk(['ip', 'addr', 'add', `${a}/24`, 'dev', wlan.peerName], { net: 'peer' });
    systemdSkeleton(s);
    await s.spawn([node, TRAFFIC, 'serve-tcp', wlan.peerV4, '7201', 'sink'], { net: 'peer' });
    await s.spawn([node, TRAFFIC, 'serve-tcp', wlan.peerV6, '7202', 'sink'], { net: 'peer' });
    await s.spawn([node, TRAFFIC, 'serve-tcp', NAMED, '7203', 'sink'], { net: 'peer' });
    await s.spawn([node, TRAFFIC, 'serve-tcp', RING_NAMED, '7204', 'sink'], { net: 'peer' });
    await s.spawn([node, DNS, wlan.peerV4, 'files.example.test', 'cdn.example.test', NAMED], { net: 'peer' });
    await s.spawn([node, DNS, RING_DNS, 'ring.example.test', 'edge.example.test', RING_NAMED], { net: 'peer' });
    for (const p of [7201, 7202, 7203, 7204]) await waitListening(s, p, { net: 'peer' });
    for (const a of [wlan.peerV4, RING_DNS]) await waitUdpListening(s, a, 53);
    collector = await startCollector(s, db, { interval: 1, counter });
    await waitForPoll(db, Date.now());
  });

  after(async () => {
    await s?.close();
    tmp?.remove();
  });

  /** reported is what the collector reports about recording destinations (lib/dest-state.ts), without the time. */
  function reported(path = db): { recording: boolean; cause: string } | null {
    const d = openDb(path, { readonly: true });
    try {
      const st = getDestinationsState(d);
      return st && { recording: st.recording, cause: st.cause };
    } finally {
      d.close();
    }
  }

  function appDestinations(): AppDestinations {
    const d = openDb(db, { readonly: true });
    try {
      const { id } = d.prepare('SELECT id FROM apps WHERE app_key = ?').get('fetcher.service') as { id: number };
      const now = Math.floor(Date.now() / 1000);
      return getAppDestinations(d, id, { since: now - 7200, until: now + 1 }, now);
    } finally {
      d.close();
    }
  }

  test('three peers: by name, by address, over IPv6; bytes within 1 % of the peers, names where learned', async () => {
    const truth = await peerTruth(s, [7201, 7202, 7203]);
    await s.execOk([node, TRAFFIC, 'tcp-send', wlan.peerV4, '7201', '300000'], { cgroup: APP });
    await s.execOk([node, TRAFFIC, 'tcp-send', wlan.peerV6, '7202', '200000'], { cgroup: APP });
    await s.execOk([node, DNS, '--fetch', wlan.peerV4, 'files.example.test', '7203', '100000'], { cgroup: APP });
    await sleep(300);
    await waitForPoll(db, Date.now());
    await waitForPoll(db, Date.now());
    const t = await truth();
    const g = appDestinations();
    const row = (remote: string, port: number) => {
      const r = g.rows.find((x) => x.remote === remote && x.port === port && x.proto === 6);
      assert.ok(r, `a destination ${remote} port ${port}; got ${JSON.stringify(g.rows.map((x) => `${x.remote}:${x.port}/${x.proto}`))}`);
      return r;
    };
    for (const [remote, port] of [[wlan.peerV4, 7201], [wlan.peerV6, 7202], [NAMED, 7203]] as const) {
      const r = row(remote, port);
      within(r.txBytes, t.get(`in-${port}`)!.bytes, 1, `bytes sent to ${remote}:${port}`);
      within(r.rxBytes, t.get(`out-${port}`)!.bytes, 1, `bytes received from ${remote}:${port}`);
      assert.equal(r.inbound, false);
    }
    assert.equal(row(NAMED, 7203).host, 'files.example.test', 'the name the app asked for, through the CNAME chain');
    assert.equal(row(wlan.peerV4, 7201).host, null, 'no DNS answer named this address: it stays an address');
    assert.ok(g.rows.some((r) => r.remote === wlan.peerV4 && r.proto === 17 && r.port === 53), 'the DNS query itself is a destination');
    const listed = g.rows.reduce((n, r) => n + r.rxBytes + r.txBytes, 0);
    assert.equal(listed + g.other.rxBytes + g.other.txBytes, g.total.rxBytes + g.total.txBytes, 'destinations + other = the app total');
    const total = appTotals(db, 'fetcher.service');
    assert.equal(g.total.rxBytes + g.total.txBytes, total.rx + total.tx, 'the same total as usage');
    assert.ok(g.other.rxBytes + g.other.txBytes >= 0);
    const fill = (countersDetail(db) as { destFill?: { count: number; size: number } | null }).destFill;
    assert.ok(fill && fill.size === CAPACITY[counter] && fill.count >= 6, `the fill is reported: ${JSON.stringify(fill)}`);
  });

  if (counter === 'bpf')
    test("host names from the program's DNS ring: learned with no nft rule logging DNS answers", async () => {
      assert.ok(!(await s.execOk(['nft', 'list', 'table', TABLE_FAMILY, TABLE_NAME])).includes('log group'), 'the collector made no rule logging DNS answers');
      await s.execOk([node, DNS, '--fetch', RING_DNS, 'ring.example.test', '7204', '50000'], { cgroup: APP });
      await sleep(300);
      await waitForPoll(db, Date.now());
      await waitForPoll(db, Date.now());
      const r = appDestinations().rows.find((x) => x.remote === RING_NAMED && x.port === 7204 && x.proto === 6);
      assert.ok(r, 'a destination for the named address');
      assert.equal(r.host, 'ring.example.test', 'the name the app asked for, through the CNAME chain');
      assert.ok(!(await s.execOk(['nft', 'list', 'table', TABLE_FAMILY, TABLE_NAME])).includes('log group'), 'no rule logged the answer');
    });

  test("connections made to a service are one destination per client address, under the service's own port", async () => {
    const SERVICE = 'system.slice/httpd.service';
    await s.spawn([node, TRAFFIC, 'serve-tcp', wlan.v4, '7400', 'sink'], { cgroup: SERVICE });
    await waitListening(s, 7400);
    for (let i = 0; i < 3; i++) await s.execOk([node, TRAFFIC, 'tcp-send', wlan.v4, '7400', '20000'], { net: 'peer' });
    await sleep(300);
    await waitForPoll(db, Date.now());
    await waitForPoll(db, Date.now());
    const d = openDb(db, { readonly: true });
    const { id } = d.prepare('SELECT id FROM apps WHERE app_key = ?').get('httpd.service') as { id: number };
    const now = Math.floor(Date.now() / 1000);
    const g = getAppDestinations(d, id, { since: now - 7200, until: now + 1 }, now);
    d.close();
    assert.deepEqual(g.rows.map((r) => [r.remote, r.proto, r.port, r.inbound]), [[wlan.peerV4, 6, 7400, true]], 'three client ports, one destination');
    assert.ok(g.rows[0].rxBytes >= 60000, 'all three connections\' bytes');
  });

  test('turned off (the global setting): nothing more is recorded, the app is still counted', async () => {
    const w = openDb(db);
    assert.deepEqual(reported(), { recording: true, cause: 'on' }, 'the collector reports it records');
    setDestinationsSetting(w, false);
    w.close();
    await waitForPoll(db, Date.now());
    assert.deepEqual(reported(), { recording: false, cause: 'setting' }, 'the collector reports it follows the setting');
    const before = appDestinations();
    assert.ok(before.rows.some((r) => r.remote === wlan.peerV4 && r.port === 7201), 'recorded while on');
    const sent = (g: AppDestinations) => g.rows.filter((r) => r.remote === wlan.peerV4 && r.port === 7201).reduce((n, r) => n + r.txBytes, 0);
    const appBefore = appTotals(db, 'fetcher.service');
    await s.execOk([node, TRAFFIC, 'tcp-send', wlan.peerV4, '7201', '100000'], { cgroup: APP });
    await sleep(300);
    await waitForPoll(db, Date.now());
    await waitForPoll(db, Date.now());
    const afterOff = appDestinations();
    assert.equal(sent(afterOff), sent(before), 'no bytes added to the destination');
    assert.equal(afterOff.rows.length, before.rows.length);
    const appAfter = appTotals(db, 'fetcher.service');
    assert.ok(appAfter.tx - appBefore.tx >= 100000, 'the app itself is still counted');
    assert.equal((countersDetail(db) as { destFill?: unknown }).destFill, null, 'the destinations map is not read');
    if (counter === 'nft') assert.ok(!(await s.execOk(['nft', 'list', 'sets', 'inet'])).includes('dst4_out'), 'the destination sets are gone');
  });

  test('appnet collect --no-destinations: the source counts none, the store gets none', async () => {
    s.kill(collector.pid);
    await sleep(500);
    const db2 = join(tmp.dir, 'off.db');
    await s.spawn([node, APPNET, 'collect', '--db', db2, '--interval', '1', '--counter', counter, '--no-destinations']);
    await waitForPoll(db2, Date.now());
    await s.execOk([node, TRAFFIC, 'tcp-send', wlan.peerV4, '7201', '100000'], { cgroup: APP });
    await sleep(300);
    await waitForPoll(db2, Date.now());
    const d = openDb(db2, { readonly: true });
    const rows = (d.prepare('SELECT COUNT(*) AS n FROM dest_1h').get() as { n: number }).n;
    d.close();
    assert.equal(rows, 0, 'no destination recorded');
    assert.ok(appTotals(db2, 'fetcher.service').tx >= 100000, 'the app is counted');
    assert.equal((countersDetail(db2) as { destFill?: unknown }).destFill, null);
    assert.deepEqual(reported(db2), { recording: false, cause: 'flag' }, 'the collector reports --no-destinations');
  });
}

/** waitUdpListening waits until something in the peer namespace listens on UDP `addr`:`port`. */
async function waitUdpListening(s: Sandbox, addr: string, port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await s.execOk(['ss', '-lunH'], { net: 'peer' })).includes(`${addr}:${port} `)) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on udp ${addr}:${port} after 10 s`);
}

