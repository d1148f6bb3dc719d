/**
 * What the link carries (issue #20): on a sandbox link set up like a NIC (harness/wire.ts),
 * each kind of traffic runs alone between an app and the peer, and the bytes the collector
 * stored for the interface are compared with the far end's per-segment counts: its
 * interface statistics less the Ethernet headers for bulk TCP, its netfilter counters for
 * small packets and acknowledgements (which no offload merges).
 *
 * Each counter source has its band. The nft source sees the packets netfilter sees: a GSO
 * packet on the way out and a GRO packet on the way in carry one set of IP and TCP headers
 * for up to 45 segments, so bulk TCP reads below the wire by about the headers' share (the
 * test asserts the shortfall it cannot avoid: below 1, above 0.9). Small packets are not
 * offloaded and stay within 1 % on every source. The BPF source counts every segment's
 * headers and must be within 1 % on bulk TCP too, for the app itself and for the interface
 * (apps + unattributed): its interface totals are nft's plus the segment headers the program
 * kept per interface.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Link, Sandbox } from '../../collector/sandbox/sandbox';
import { BULK, farEndInterface, farEndIp, ipOnWire, minus, SMALL, type WireCount, type WireTraffic } from '../../harness/wire';
import { appTotals, ifaceTotals, nicLikeCollector, sleep, tempDir, waitForPoll } from './helpers';

interface SourceCase {
  source: 'nft' | 'bpf';
  /** Lowest and highest ratio appnet / far end allowed for the payload direction of bulk TCP. */
  bulk: { min: number; max: number };
  /** Why this source is not tested here, if it is not. */
  skip?: string;
}

const SOURCES: SourceCase[] = [
  // Measured 0.95–0.98 (README "How counting works"): headers of the merged segments are missing.
  { source: 'nft', bulk: { min: 0.9, max: 1 } },
  { source: 'bpf', bulk: { min: 0.99, max: 1.01 } },
];

const APP = 'system.slice/transfer.service';
const APP_KEY = 'transfer.service';
const SMALL_PCT = 1;
/** A stray packet between two phases (neighbour discovery, an ICMP error) may land on either side of a poll. */
const STRAY = { bytes: 100, packets: 1 };

function ratio(a: number, b: number): number {
  return b === 0 ? (a === 0 ? 1 : Infinity) : a / b;
}

function appnetCount(db: string, iface: string, app?: string): WireCount {
  const t = app ? appTotals(db, app, iface) : ifaceTotals(db, iface);
  return { rxBytes: t.rx, txBytes: t.tx, rxPackets: t.rxPackets, txPackets: t.txPackets };
}

for (const c of SOURCES) {
  describe(`what the link carries, counted by the ${c.source} source`, { skip: c.skip }, () => {
    let s: Sandbox;
    let link: Link;
    let tmp: ReturnType<typeof tempDir>;
    let db: string;
    let port = 6100;

    before(async () => {
      tmp = tempDir();
      db = join(tmp.dir, 'appnet.db');
      ({ s, link } = await nicLikeCollector(db, 'eth0', { counter: c.source }));
    });

    after(async () => {
      await s?.close();
      tmp?.remove();
    });

    /** measure runs one kind of traffic alone and returns appnet's, the far end's IP and the far end's interface counts of it. */
    async function measure(w: WireTraffic): Promise<{ appnet: WireCount; app: WireCount; ip: WireCount; iface: WireCount }> {
      await waitForPoll(db, Date.now());
      const base = { appnet: appnetCount(db, link.name), app: appnetCount(db, link.name, APP_KEY), ip: await farEndIp(s), iface: await farEndInterface(s, link) };
      await w.run(s, link, { cgroup: APP, port: port++, scratch: tmp.dir });
      await sleep(300);
      const ip = minus(await farEndIp(s), base.ip);
      const iface = minus(await farEndInterface(s, link), base.iface);
      await waitForPoll(db, Date.now());
      return { appnet: minus(appnetCount(db, link.name), base.appnet), app: minus(appnetCount(db, link.name, APP_KEY), base.app), ip, iface };
    }

    for (const w of BULK) {
      test(`${w.name}: ${c.source === 'nft' ? 'below the wire by the merged segments’ headers' : 'within 1 % of the wire'}`, async (t) => {
        const m = await measure(w);
        const p = w.payload;
        const other = p === 'rx' ? 'tx' : 'rx';
        const wire = ipOnWire(m.iface);
        const r = ratio(m.appnet[`${p}Bytes`], wire[`${p}Bytes`]);
        t.diagnostic(
          `${c.source} | ${w.name} | far end: ${wire[`${p}Bytes`]} IP bytes in ${wire[`${p}Packets`]} segments (${m.iface[`${p}Bytes`]} bytes on its interface) ` +
            `| appnet: ${m.appnet[`${p}Bytes`]} bytes in ${m.appnet[`${p}Packets`]} packets | ratio ${r.toFixed(4)}`,
        );
        assert.ok(wire[`${p}Bytes`] > 5_000_000, `the far end saw the transfer (${wire[`${p}Bytes`]} bytes)`);
        if (p === 'tx') {
          // What arrives at the far end reaches its netfilter segment by segment: both truths agree.
          assert.ok(Math.abs(ratio(m.ip.txBytes, wire.txBytes) - 1) < 0.001, `the far end's netfilter (${m.ip.txBytes}) and interface (${wire.txBytes}) agree on the IP bytes of an upload`);
        }
        const a = ratio(m.app[`${p}Bytes`], wire[`${p}Bytes`]);
        t.diagnostic(`${c.source} | ${w.name} | the app alone: ${m.app[`${p}Bytes`]} bytes in ${m.app[`${p}Packets`]} packets | ratio ${a.toFixed(4)}`);
        assert.ok(r > c.bulk.min && r < c.bulk.max, `${w.name}: appnet / far end = ${r.toFixed(4)}, expected between ${c.bulk.min} and ${c.bulk.max}`);
        assert.ok(a > c.bulk.min && a < c.bulk.max, `${w.name}: the app's own count / far end = ${a.toFixed(4)}, expected between ${c.bulk.min} and ${c.bulk.max}`);
        // The acknowledgements of a 20 MB transfer are only ~15 KB: a few stray packets around the
        // phase's edges (neighbour discovery, a late window update) are more than 1 % of that.
        const ackDiff = Math.abs(m.appnet[`${other}Bytes`] - m.ip[`${other}Bytes`]);
        assert.ok(ackDiff <= Math.max((m.ip[`${other}Bytes`] * SMALL_PCT) / 100, 4 * STRAY.bytes), `${w.name}: the acknowledgements (${m.appnet[`${other}Bytes`]} vs ${m.ip[`${other}Bytes`]} bytes) are not merged and count within ${SMALL_PCT} % or ${4 * STRAY.bytes} bytes`);
      });
    }

    for (const w of SMALL) {
      test(`${w.name}: within ${SMALL_PCT} % of the wire, both directions`, async (t) => {
        const m = await measure(w);
        assert.ok(m.ip[`${w.payload}Packets`] >= 100, `${w.name}: the far end saw the traffic (${m.ip[`${w.payload}Packets`]} packets)`);
        const wire = ipOnWire(m.iface);
        for (const dir of ['tx', 'rx'] as const) {
          // The truth of the bulk tests checked on packets netfilter sees one by one: the far end's
          // interface statistics, less the link-layer headers they hold, are its IP bytes.
          const truth = Math.abs(wire[`${dir}Bytes`] - m.ip[`${dir}Bytes`]);
          assert.ok(truth <= Math.max(STRAY.bytes, m.ip[`${dir}Bytes`] / 1000), `${w.name} ${dir}: the far end's interface says ${wire[`${dir}Bytes`]} IP bytes, its netfilter ${m.ip[`${dir}Bytes`]}`);
          const r = ratio(m.appnet[`${dir}Bytes`], m.ip[`${dir}Bytes`]);
          t.diagnostic(`${c.source} | ${w.name} | ${dir} | far end ${m.ip[`${dir}Bytes`]} bytes in ${m.ip[`${dir}Packets`]} packets | appnet ${m.appnet[`${dir}Bytes`]} in ${m.appnet[`${dir}Packets`]} | ratio ${r.toFixed(4)}`);
          const diff = Math.abs(m.appnet[`${dir}Bytes`] - m.ip[`${dir}Bytes`]);
          assert.ok(diff <= Math.max(STRAY.bytes, (m.ip[`${dir}Bytes`] * SMALL_PCT) / 100), `${w.name} ${dir}: appnet ${m.appnet[`${dir}Bytes`]} vs far end ${m.ip[`${dir}Bytes`]} bytes (ratio ${r.toFixed(4)})`);
          assert.ok(Math.abs(m.appnet[`${dir}Packets`] - m.ip[`${dir}Packets`]) <= STRAY.packets, `${w.name} ${dir}: one packet counted per packet on the wire (${m.appnet[`${dir}Packets`]} vs ${m.ip[`${dir}Packets`]})`);
        }
      });
    }
  });
}
