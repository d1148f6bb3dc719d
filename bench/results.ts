/** The shape of bench/results.json: every figure's raw numbers, as the last run left them. */
import type { CollectorCpuResult } from './collector-cpu';
import type { DestCostResult } from './dest-cost';
import type { DestStoreResult } from './dest-store';
import type { MachineInfo } from './machine';
import type { PacketPathResult } from './packet-path';
import type { PollResult } from './poll';
import type { QueryResult } from './queries';
import type { ScaleResult } from './scale';
import type { TotalsResult } from './totals';
import type { SoakResult } from './soak';
import type { StartupResult } from './startup';
import type { Summary } from './stats';
import type { StorageResult, WriteResult } from './storage';

export interface Section<T> {
  /** ISO time this section was measured (sections can come from different runs with --only). */
  at: string;
  seconds: number;
  loadAvg: number[];
  data?: T;
  error?: string;
}

export interface QueriesData {
  apps: number;
  networks: number;
  activeHourShare: number;
  rows: { week: Record<string, number>; year: Record<string, number> };
  buildSeconds: { week: number; year: number };
  reps: number;
  results: QueryResult[];
}

export interface StorageData {
  history: StorageResult;
  writes: WriteResult;
}

export interface PageLoadData {
  reps: number;
  /** Navigation start → stacked chart drawn (the server's), ms, per overview period. */
  periods: Record<string, Summary>;
  /** Navigation start → recharts' interactive chart drawn over it, and the gap between the two, ms. */
  interactive?: Record<string, Summary>;
  gap?: Record<string, Summary>;
}

export interface Results {
  machine: MachineInfo;
  packetPath?: Section<PacketPathResult>;
  totals?: Section<TotalsResult | null>;
  scale?: Section<ScaleResult>;
  collectorCpu?: Section<CollectorCpuResult>;
  poll?: Section<PollResult>;
  queries?: Section<QueriesData>;
  storage?: Section<StorageData>;
  pageLoad?: Section<PageLoadData>;
  soak?: Section<SoakResult>;
  startup?: Section<StartupResult>;
  /** Figure 11 (issue 19): destination counting's packet-path cost, and the destinations store over a year. */
  destinations?: Section<DestCostResult>;
  destinationsStore?: Section<DestStoreResult>;
}

export const SECTIONS = ['packetPath', 'totals', 'scale', 'collectorCpu', 'poll', 'queries', 'storage', 'pageLoad', 'soak', 'startup', 'destinations', 'destinationsStore'] as const;
export type SectionName = (typeof SECTIONS)[number];
