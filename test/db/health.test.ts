/** The Health page's data: how exact the counter source in use is, from what the collector reports. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { getHealth } from '../../app/_data/health';
import { openDb } from '../../db/open';
import { putSourceStatus } from '../../db/queries/status';

const dir = mkdtempSync(join(tmpdir(), 'appnet-health-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('before the first poll nothing is claimed about accuracy; with the nft source, its measured shortfall', () => {
  const path = join(dir, 'a.db');
  const db = openDb(path, { migrate: true });
  assert.equal(getHealth(db, path).accuracy, null);
  putSourceStatus(db, { source: 'counters', ok: true, lastRun: 1_000, durationMs: 3, error: null, detail: { source: 'nft', elements: 4, setFill: {}, via: 'netlink' } });
  const a = getHealth(db, path).accuracy;
  assert.equal(a?.source, 'nft');
  assert.equal(a?.seesSegments, false);
  assert.match(a?.summary ?? '', /below what crossed the link/);
  assert.ok((a?.measured.length ?? 0) > 0);
  db.close();
});
