import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colourByKey, OTHER_COLOUR, OTHER_ID, PALETTE, seriesColours, UNATTRIBUTED_COLOUR } from '../../components/palette';
import { UNATTRIBUTED_KEY } from '../../lib/identity';

test('an app keeps its colour whatever its rank; unattributed and "other apps" are greys', () => {
  const a = seriesColours(['app:firefox', 'app:spotify', UNATTRIBUTED_KEY, OTHER_ID]);
  const b = seriesColours([UNATTRIBUTED_KEY, 'app:spotify', 'app:firefox']);
  assert.equal(a[0], b[2]);
  assert.equal(a[1], b[1]);
  assert.equal(a[2], UNATTRIBUTED_COLOUR);
  assert.equal(b[0], UNATTRIBUTED_COLOUR);
  assert.equal(a[3], OTHER_COLOUR);
});

test('no two apps of one chart share a colour, even when their keys hash alike', () => {
  const ids = Array.from({ length: PALETTE.length }, (_, i) => `app:n${i}`);
  assert.equal(new Set(seriesColours(ids)).size, PALETTE.length);
});

test('colourByKey gives the table the colour each app has in the chart', () => {
  const series = [{ id: 'app:firefox' }, { id: UNATTRIBUTED_KEY }, { id: OTHER_ID }];
  assert.deepEqual(colourByKey(series), Object.fromEntries(series.map((s, i) => [s.id, seriesColours(series.map((x) => x.id))[i]])));
});
