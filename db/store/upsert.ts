/** What the usage writer and the roll-up share: the upsert that adds sums, and timing a write. */

/** Hears how long each part of a write took, by name (the write benchmark's breakdown). */
export type Timed = (part: string, ms: number) => void;

/** timeWrite runs a write and, when someone listens, says how long it took. */
export function timeWrite(timed: Timed | undefined, part: string, write: () => void): void {
  if (!timed) return write();
  const t0 = performance.now();
  write();
  timed(part, performance.now() - t0);
}

export const UPSERT_SUMS = `ON CONFLICT(ts, series_id) DO UPDATE SET rx_bytes = rx_bytes + excluded.rx_bytes, tx_bytes = tx_bytes + excluded.tx_bytes,
         rx_packets = rx_packets + excluded.rx_packets, tx_packets = tx_packets + excluded.tx_packets`;
