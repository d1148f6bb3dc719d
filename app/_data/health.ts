import { statSync } from 'node:fs';
import type { Db } from '../../db/open';
import { getCollectorStatus, getRecentEvents, type StatusRow } from '../../db/queries/status';
import { unixSeconds } from '../../lib/time';
import { sourceAccuracy, type SourceAccuracy } from '../../lib/accuracy';

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
  /** Which mechanism counts per app ('bpf' or 'nft'), null before the first poll; and why, when the choice was not the one asked for. */
  counter: { source: string; note: string | null } | null;
  /** How exact the counter source in use is against the link (null before the first poll, or unmeasured). */
  accuracy: SourceAccuracy | null;
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

/** getHealth gathers the collector's health for the Health page: sources, set fill, accuracy of the counter source, store size, events. */
export function getHealth(db: Db, dbPath: string): Health {
  const sources = getCollectorStatus(db).map((s) => ({ ...s, lastRun: unixSeconds(s.lastRun), lastOk: s.lastOk === null ? null : unixSeconds(s.lastOk) }));
  const poll = sources.find((s) => s.source === 'poll');
  type Fill = Record<string, { count: number; size: number | null }>;
  const counters = sources.find((s) => s.source === 'counters')?.detail as { setFill?: Fill; mapFill?: Fill | null; destFill?: { count: number; size: number } | null; source?: string } | null;
  const sets = [
    ...Object.entries(counters?.setFill ?? {}).map(([name, f]) => ({ name, count: f.count, size: f.size })),
    ...Object.entries(counters?.mapFill ?? {}).map(([name, f]) => ({ name: `BPF map ${name}`, count: f.count, size: f.size })),
    // An LRU map: full is normal (the oldest destinations make room), so it is shown, not warned about;
    // nft's sets (`--counter nft`) take no new destination while full, until idle ones time out.
    ...(counters?.destFill ? [{ name: counters.source === 'nft' ? 'nft sets dst* (destinations, 8 sets)' : 'BPF map dests (destinations, LRU)', count: counters.destFill.count, size: counters.destFill.size }] : []),
  ];
  const choice = sources.find((s) => s.source === 'counter-source')?.detail as { source?: string; note?: string | null } | null;
  const source = counters?.source ?? choice?.source;
  return {
    sources,
    lastOk: poll?.lastOk ?? null,
    sets,
    counter: source ? { source, note: choice?.note ?? null } : null,
    accuracy: sourceAccuracy(source),
    dbBytes: fileSize(dbPath) + fileSize(`${dbPath}-wal`),
    events: getRecentEvents(db, 30).map((e) => ({ ...e, ts: unixSeconds(e.ts) })),
  };
}
