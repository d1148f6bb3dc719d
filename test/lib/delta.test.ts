import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { counterDelta, expiryOf, type PrevState, type Reading } from '../../lib/delta';

const prev = (p: Partial<PrevState> = {}): PrevState => ({ bytes: 1000, packets: 10, tableHandle: 7, seenAt: 0, expiresAt: null, ...p });
const cur = (r: Partial<Reading> = {}): Reading => ({ bytes: 1500, packets: 15, tableHandle: 7, expiresMs: null, ...r });

test('counterDelta: growth, new element, new table, reset', () => {
  assert.deepEqual(counterDelta(prev(), cur(), { now: 5000, timeoutMs: null }), { bytes: 500, packets: 5, reason: 'continued' });
  assert.equal(counterDelta(undefined, cur(), { now: 5000, timeoutMs: null }).bytes, 1500);
  assert.deepEqual(counterDelta(prev(), cur({ tableHandle: 8, bytes: 40, packets: 1 }), { now: 5000, timeoutMs: null }), { bytes: 40, packets: 1, reason: 'new-table' });
  assert.deepEqual(counterDelta(prev(), cur({ bytes: 300, packets: 3 }), { now: 5000, timeoutMs: null }), { bytes: 300, packets: 3, reason: 'reset' });
});

test('counterDelta: an element that expired and came back bigger is all new', () => {
  // Last read at t=0 with 60 s left; at t=70 s the element exists again, refreshed 2 s ago
  // (58 s left of a 60 s timeout): it was re-created after the old one expired at t=60 s.
  const p = prev({ expiresAt: 60_000 });
  const d = counterDelta(p, cur({ bytes: 5000, packets: 50, expiresMs: 58_000 }), { now: 70_000, timeoutMs: 60_000 });
  assert.equal(d.reason, 'expired-and-recreated');
  assert.equal(d.bytes, 5000);
  // Refreshed before the old expiry: the same element, only the growth counts.
  const same = counterDelta(p, cur({ bytes: 5000, packets: 50, expiresMs: 45_000 }), { now: 70_000, timeoutMs: 60_000 });
  assert.equal(same.reason, 'continued');
  assert.equal(same.bytes, 4000);
  assert.equal(expiryOf(cur({ expiresMs: 30_000 }), 1000), 31_000);
});

test('counterDelta never returns a negative delta, nor more than the current value', () => {
  fc.assert(
    fc.property(
      fc.record({ bytes: fc.nat(), packets: fc.nat(), tableHandle: fc.integer({ min: 1, max: 3 }), seenAt: fc.nat(), expiresAt: fc.option(fc.nat()) }),
      fc.record({ bytes: fc.nat(), packets: fc.nat(), tableHandle: fc.integer({ min: 1, max: 3 }), expiresMs: fc.option(fc.nat({ max: 600_000 })) }),
      fc.nat(),
      (p, c, now) => {
        const d = counterDelta(p, c, { now, timeoutMs: 600_000 });
        return d.bytes >= 0 && d.packets >= 0 && d.bytes <= c.bytes && d.packets <= c.packets;
      },
    ),
  );
});
