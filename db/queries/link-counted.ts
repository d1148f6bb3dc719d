/**
 * Counted by appnet next to counted by the interface (migration 075): the collector adds each
 * poll's pair of figures per (hour, interface, network) and keeps the interfaces' last reads;
 * the Networks page and /metrics read the sums per network.
 */
import { prepared, type Db } from '../open';
import type { LinkReading, NetworkCounted, Traffic } from '../../lib/link-counters';

export type { NetworkCounted } from '../../lib/link-counters';

/** getLinkStates returns the last read of every interface's counters, for a restarted collector. */
export function getLinkStates(db: Db): LinkReading[] {
  return db
    .prepare('SELECT name, ifindex, rx_bytes AS rxBytes, tx_bytes AS txBytes, rx_packets AS rxPackets, tx_packets AS txPackets, read_at AS readAt FROM link_counter_state')
    .all() as LinkReading[];
}

/** forgetLinkStates drops the stored reads of interfaces that are gone. */
export function forgetLinkStates(db: Db, names: readonly string[]): void {
  const st = prepared(db, 'DELETE FROM link_counter_state WHERE name = ?');
  for (const n of names) st.run(n);
}

/** putLinkStates stores the latest read of each interface's counters. */
export function putLinkStates(db: Db, readings: readonly LinkReading[]): void {
  const st = prepared(
    db,
    `INSERT INTO link_counter_state (name, ifindex, rx_bytes, tx_bytes, rx_packets, tx_packets, read_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(name) DO UPDATE SET ifindex = excluded.ifindex, rx_bytes = excluded.rx_bytes, tx_bytes = excluded.tx_bytes,
       rx_packets = excluded.rx_packets, tx_packets = excluded.tx_packets, read_at = excluded.read_at`,
  );
  for (const r of readings) st.run(r.name, r.ifindex, r.rxBytes, r.txBytes, r.rxPackets, r.txPackets, r.readAt);
}

export interface LinkCountedRow {
  /** Start of the hour, unix s. */
  ts: number;
  ifaceId: number;
  networkId: number;
  /** Start of the interval counted, unix s. */
  firstAt: number;
  appnet: Traffic;
  iface: Traffic;
}

/** addLinkCounted adds one poll's figures to their hour's rows. */
export function addLinkCounted(db: Db, rows: readonly LinkCountedRow[]): void {
  const st = prepared(
    db,
    `INSERT INTO link_counted (ts, iface_id, network_id, first_at, appnet_rx_bytes, appnet_tx_bytes, appnet_rx_packets, appnet_tx_packets,
       iface_rx_bytes, iface_tx_bytes, iface_rx_packets, iface_tx_packets) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(network_id, ts, iface_id) DO UPDATE SET first_at = MIN(first_at, excluded.first_at),
       appnet_rx_bytes = appnet_rx_bytes + excluded.appnet_rx_bytes, appnet_tx_bytes = appnet_tx_bytes + excluded.appnet_tx_bytes,
       appnet_rx_packets = appnet_rx_packets + excluded.appnet_rx_packets, appnet_tx_packets = appnet_tx_packets + excluded.appnet_tx_packets,
       iface_rx_bytes = iface_rx_bytes + excluded.iface_rx_bytes, iface_tx_bytes = iface_tx_bytes + excluded.iface_tx_bytes,
       iface_rx_packets = iface_rx_packets + excluded.iface_rx_packets, iface_tx_packets = iface_tx_packets + excluded.iface_tx_packets`,
  );
  for (const r of rows) {
    st.run(r.ts, r.ifaceId, r.networkId, r.firstAt, r.appnet.rxBytes, r.appnet.txBytes, r.appnet.rxPackets, r.appnet.txPackets, r.iface.rxBytes, r.iface.txBytes, r.iface.rxPackets, r.iface.txPackets);
  }
}

const SUMS = `network_id AS networkId, MIN(first_at) AS since,
  SUM(appnet_rx_bytes) AS arb, SUM(appnet_tx_bytes) AS atb, SUM(appnet_rx_packets) AS arp, SUM(appnet_tx_packets) AS atp,
  SUM(iface_rx_bytes) AS irb, SUM(iface_tx_bytes) AS itb, SUM(iface_rx_packets) AS irp, SUM(iface_tx_packets) AS itp`;

interface SumRow {
  networkId: number;
  since: number;
  arb: number;
  atb: number;
  arp: number;
  atp: number;
  irb: number;
  itb: number;
  irp: number;
  itp: number;
}

function fromSums(r: SumRow): NetworkCounted {
  return {
    networkId: r.networkId,
    since: r.since,
    appnet: { rxBytes: r.arb, txBytes: r.atb, rxPackets: r.arp, txPackets: r.atp },
    iface: { rxBytes: r.irb, txBytes: r.itb, rxPackets: r.irp, txPackets: r.itp },
  };
}

/**
 * getNetworkCounted sums one network's two figures from the hour holding `since` on (hours
 * are whole: a billing cycle starts on one); null when its interface counters were never compared.
 */
export function getNetworkCounted(db: Db, networkId: number, since: number): NetworkCounted | null {
  const r = prepared(db, `SELECT ${SUMS} FROM link_counted WHERE network_id = ? AND ts >= ? GROUP BY network_id`).get(networkId, Math.floor(since / 3600) * 3600) as SumRow | undefined;
  return r ? fromSums(r) : null;
}

/** getAllNetworkCounted sums every network's two figures over all time, for /metrics. */
export function getAllNetworkCounted(db: Db): NetworkCounted[] {
  return (prepared(db, `SELECT ${SUMS} FROM link_counted GROUP BY network_id ORDER BY network_id`).all() as SumRow[]).map(fromSums);
}
