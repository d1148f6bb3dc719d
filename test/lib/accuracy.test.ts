import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BPF_MEASURED, NFT_MEASURED, shortfallRange, sourceAccuracy } from '../../lib/accuracy';

test('the nft source says it cannot see segments, with the measured shortfall and no correction', () => {
  const a = sourceAccuracy('nft')!;
  assert.equal(a.seesSegments, false);
  assert.match(a.summary, /4\.7 % below what crossed the link/);
  assert.match(a.summary, /3\.4–4\.7 %/);
  assert.match(a.summary, /No correction is applied/);
  assert.deepEqual(a.measured, NFT_MEASURED);
});

test('the BPF source says it counts every segment, with its measured ratios', () => {
  const a = sourceAccuracy('bpf')!;
  assert.equal(a.seesSegments, true);
  assert.match(a.summary, /within 0\.1 % of what crossed the link/);
  assert.deepEqual(a.measured, BPF_MEASURED);
  assert.equal(shortfallRange(a.measured), null);
});

test('a source without measurements, or no source yet, claims nothing', () => {
  assert.equal(sourceAccuracy('other'), null);
  assert.equal(sourceAccuracy(null), null);
  assert.equal(sourceAccuracy(undefined), null);
});

test('shortfallRange covers the ratios below 1 only', () => {
  assert.deepEqual(shortfallRange([{ traffic: 'a', ratio: 0.97 }, { traffic: 'b', ratio: 0.95 }, { traffic: 'c', ratio: 1 }]), { min: 3, max: 5 });
  assert.equal(shortfallRange([{ traffic: 'c', ratio: 1 }]), null);
});
