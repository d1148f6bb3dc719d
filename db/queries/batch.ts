/** Multi-row statements for the collector's per-poll writes (not queries themselves). */
import { prepared, type Db } from '../open';

const MAX_ROWS = 256;

/**
 * runBatched runs `sql(values)` over rows, many rows per statement: `values` is a VALUES list of
 * `width` placeholders per row. One statement per 256 rows plus one per set bit of the
 * remainder, so a connection prepares at most nine shapes of each statement. Crossing into
 * SQLite once per row cost about as much as the row writes themselves.
 */
export function runBatched(db: Db, sql: (values: string) => string, width: number, rows: ReadonlyArray<ReadonlyArray<unknown>>): void {
  const tuple = `(${Array<string>(width).fill('?').join(',')})`;
  let i = 0;
  for (let size = MAX_ROWS; size >= 1; size >>= 1) {
    while (rows.length - i >= size && (size === MAX_ROWS || rows.length - i < size * 2)) {
      const stmt = prepared(db, sql(Array<string>(size).fill(tuple).join(',')));
      const params: unknown[] = [];
      for (let k = i; k < i + size; k++) {
        const r = rows[k];
        if (r.length !== width) throw new Error(`runBatched: a row has ${r.length} values, expected ${width}`);
        for (const v of r) params.push(v);
      }
      stmt.run(...params);
      i += size;
    }
  }
}
