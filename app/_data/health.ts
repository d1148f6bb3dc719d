import { statSync } from 'node:fs';
import type { Db } from '../../db/open';
import { getCollectorStatus, getRecentEvents, type StatusRow } from '../../db/queries/status';
import { sourceAccuracy, type SourceAccuracy } from '../../lib/accuracy';

export interface SetFill {
  name: string;
  count: number;
  size: number | null;
}

export interface Health {
  sources: StatusRow[];
  lastOk: number | null;
  sets: SetFill[];
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
  const sources = getCollectorStatus(db);
  const poll = sources.find((s) => s.source === 'poll');
  const counters = sources.find((s) => s.source === 'counters')?.detail as { source?: string; setFill?: Record<string, { count: number; size: number | null }> } | null;
  const sets = Object.entries(counters?.setFill ?? {}).map(([name, f]) => ({ name, count: f.count, size: f.size }));
  return {
    sources,
    lastOk: poll?.lastOk ?? null,
    sets,
    accuracy: sourceAccuracy(counters?.source),
    dbBytes: fileSize(dbPath) + fileSize(`${dbPath}-wal`),
    events: getRecentEvents(db, 30),
  };
}
