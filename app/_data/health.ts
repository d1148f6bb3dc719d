import { statSync } from 'node:fs';
import type { Db } from '../../db/open';
import { getCollectorStatus, getRecentEvents, type StatusRow } from '../../db/queries/status';
import { unixSeconds } from '../../lib/time';

export interface SetFill {
  name: string;
  count: number;
  size: number | null;
}

/** The collector's status and events, their times in unix seconds like every time a page shows (the tables keep ms). */
export interface Health {
  sources: StatusRow[];
  lastOk: number | null;
  sets: SetFill[];
  dbBytes: number;
  events: Array<{ ts: number; level: string; kind: string; message: string }>;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** getHealth gathers the collector's health for the Health page: sources, set fill, store size, events. */
export function getHealth(db: Db, dbPath: string): Health {
  const sources = getCollectorStatus(db).map((s) => ({ ...s, lastRun: unixSeconds(s.lastRun), lastOk: s.lastOk === null ? null : unixSeconds(s.lastOk) }));
  const poll = sources.find((s) => s.source === 'poll');
  const counters = sources.find((s) => s.source === 'counters')?.detail as { setFill?: Record<string, { count: number; size: number | null }> } | null;
  const sets = Object.entries(counters?.setFill ?? {}).map(([name, f]) => ({ name, count: f.count, size: f.size }));
  return {
    sources,
    lastOk: poll?.lastOk ?? null,
    sets,
    dbBytes: fileSize(dbPath) + fileSize(`${dbPath}-wal`),
    events: getRecentEvents(db, 30).map((e) => ({ ...e, ts: unixSeconds(e.ts) })),
  };
}
