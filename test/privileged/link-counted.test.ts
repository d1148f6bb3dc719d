/**
 * Counted by the interface (issue #20 item 3), on the real kernel: the figure the collector
 * stores for a network is the growth of its veth's own statistics, and sits next to what
 * appnet counted over the same polls, higher by at least the link-layer headers it holds.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { getNetworkCards } from '../../app/_data/networks';
import type { Link, Sandbox } from '../../collector/sandbox/sandbox';
import { openDb } from '../../db/open';
import { BULK, ETHERNET_HEADER, SMALL } from '../../harness/wire';
import { countedDifference, type NetworkCounted } from '../../lib/link-counters';
import { nicLikeCollector, sleep, tempDir, waitForPoll } from './helpers';

/** Bytes of a stray frame (neighbour discovery) that may fall on either side of a poll. */
const STRAY = 200;

let s: Sandbox;
let link: Link;
let tmp: ReturnType<typeof tempDir>;
let db: string;

before(async () => {
  tmp = tempDir();
  db = join(tmp.dir, 'appnet.db');
  ({ s, link } = await nicLikeCollector(db, 'wlan0'));
});

after(async () => {
  await s?.close();
  tmp?.remove();
});

/** vethStats reads the sandbox veth's own statistics, as the collector reads them. */
async function vethStats(): Promise<{ rxBytes: number; txBytes: number; rxPackets: number; txPackets: number }> {
  const read = async (f: string) => Number(await s.execOk(['cat', `/sys/class/net/${link.name}/statistics/${f}`]));
  return { rxBytes: await read('rx_bytes'), txBytes: await read('tx_bytes'), rxPackets: await read('rx_packets'), txPackets: await read('tx_packets') };
}

function stored(): NetworkCounted {
  const d = openDb(db, { readonly: true });
  try {
    const card = getNetworkCards(d, Math.floor(Date.now() / 1000)).find((n) => n.ifaces.includes(link.name));
    assert.ok(card?.counted, `the Networks page has both figures for the network of ${link.name}`);
    return card.counted;
  } finally {
    d.close();
  }
}

test('the interface figure of the Networks page is the veth’s own statistics; appnet’s is lower by the link-layer headers and what it cannot see', async (t) => {
  // The collector reads the interface once more after the link went quiet: then the stored
  // figure and the statistics read now describe the same moment.
  await sleep(1500);
  await waitForPoll(db, Date.now());
  const a = stored();
  const s0 = await vethStats();
  for (const w of [BULK[0], BULK[1], SMALL[0]]) await w.run(s, link, { cgroup: 'system.slice/transfer.service', port: 6200 + BULK.indexOf(w), scratch: tmp.dir });
  await sleep(1500);
  await waitForPoll(db, Date.now());
  const b = stored();
  const s1 = await vethStats();
  const grew = (k: 'rxBytes' | 'txBytes' | 'rxPackets' | 'txPackets', x: NetworkCounted['iface'], y: NetworkCounted['iface']) => y[k] - x[k];
  for (const k of ['rxBytes', 'txBytes', 'rxPackets', 'txPackets'] as const) {
    const stats = s1[k] - s0[k];
    const fig = grew(k, a.iface, b.iface);
    // A stray frame (neighbour discovery, ARP) may fall on either side of the last poll.
    assert.ok(Math.abs(fig - stats) <= Math.max(200, stats / 1000), `${k}: the interface figure grew by ${fig}, the veth's statistics by ${stats}`);
  }
  const appnet = { rxBytes: grew('rxBytes', a.appnet, b.appnet), txBytes: grew('txBytes', a.appnet, b.appnet) };
  const iface = { rxBytes: grew('rxBytes', a.iface, b.iface), txBytes: grew('txBytes', a.iface, b.iface) };
  const packets = grew('rxPackets', a.iface, b.iface) + grew('txPackets', a.iface, b.iface);
  const sent = grew('txPackets', a.iface, b.iface);
  const diff = countedDifference({ appnet: { ...appnet, rxPackets: 0, txPackets: 0 }, iface: { ...iface, rxPackets: 0, txPackets: 0 } });
  t.diagnostic(`interface ${iface.rxBytes + iface.txBytes} bytes in ${packets} frames, appnet ${appnet.rxBytes + appnet.txBytes} bytes: the interface counted ${diff.bytes} more (${diff.percent} %)`);
  t.diagnostic(`received: interface ${iface.rxBytes}, appnet ${appnet.rxBytes}; sent: interface ${iface.txBytes} in ${sent} frames, appnet ${appnet.txBytes}`);
  // A veth with GRO on counts what it receives in its NAPI ring, after the Ethernet header came
  // off (harness/wire.ts, farEndInterface): only its sent frames hold one.
  // The two figures are read a few microseconds apart at each poll: a packet or two may land on either side.
  const slack = (bytes: number) => Math.max(STRAY, bytes / 1000);
  assert.ok(iface.txBytes - appnet.txBytes >= ETHERNET_HEADER * sent - slack(iface.txBytes), `the interface counted the ${ETHERNET_HEADER}-byte header of each of ${sent} frames it sent more than appnet (it counted ${iface.txBytes - appnet.txBytes} more)`);
  assert.ok(appnet.rxBytes <= iface.rxBytes + slack(iface.rxBytes), `appnet counted no more than the interface received (${appnet.rxBytes} vs ${iface.rxBytes})`);
  // And no less: appnet counts every segment's headers on both directions of this link
  // (lib/segments.ts); judged poll by poll on a loaded machine, it once lost them (2-3 %).
  assert.ok(iface.txBytes - appnet.txBytes <= ETHERNET_HEADER * sent + slack(iface.txBytes), `appnet counted what the interface sent less its frames' headers (the interface counted ${iface.txBytes - appnet.txBytes} more, ${ETHERNET_HEADER * sent} of them headers)`);
  assert.ok(appnet.rxBytes >= iface.rxBytes - slack(iface.rxBytes), `appnet counted all the interface received (${appnet.rxBytes} vs ${iface.rxBytes})`);
  assert.ok(appnet.rxBytes > 20_000_000 && appnet.txBytes > 20_000_000, 'appnet counted the transfers');
});
