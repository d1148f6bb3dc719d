/** The destinations switch (a global setting, next to the collector's `--no-destinations`). */
import { prepared, type Db } from '../open';

const KEY = 'destinations';

/** getDestinationsSetting tells whether the global setting lets destinations be recorded (default: yes). */
export function getDestinationsSetting(db: Db): boolean {
  const row = prepared(db, 'SELECT value FROM settings WHERE key = ?').get(KEY) as { value: string } | undefined;
  return row?.value !== 'off';
}

/** setDestinationsSetting turns recording of destinations on or off for the collector (read at every poll). */
export function setDestinationsSetting(db: Db, on: boolean): void {
  prepared(db, 'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(KEY, on ? 'on' : 'off');
}
