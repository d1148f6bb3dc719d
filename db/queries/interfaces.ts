import { prepared, type Db } from '../open';

export interface NetworkInput {
  netKey: string;
  name: string;
  kind: string;
  meteredAuto: boolean | null;
}

/** upsertNetwork records the network an interface is on and returns its id; user settings are kept. */
export function upsertNetwork(db: Db, n: NetworkInput, now: number): number {
  const metered = n.meteredAuto === null ? null : n.meteredAuto ? 1 : 0;
  const row = prepared(
    db,
      `INSERT INTO networks (net_key, name, kind, metered_auto, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(net_key) DO UPDATE SET name = excluded.name, kind = excluded.kind,
         metered_auto = excluded.metered_auto, last_seen = excluded.last_seen
       RETURNING id`,
    )
    .get(n.netKey, n.name, n.kind, metered, now, now) as { id: number };
  return row.id;
}

/** upsertInterface records an interface and the network it is on now; returns its id. */
export function upsertInterface(db: Db, i: { name: string; kind: string; mac: string | null; networkId: number }, now: number): number {
  const row = prepared(
    db,
      `INSERT INTO interfaces (name, kind, network_id, mac, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, network_id = excluded.network_id,
         mac = excluded.mac, last_seen = excluded.last_seen
       RETURNING id`,
    )
    .get(i.name, i.kind, i.networkId, i.mac, now, now) as { id: number };
  return row.id;
}
