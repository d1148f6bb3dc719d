/**
 * Series colours readable on both light and dark backgrounds. An app keeps its colour from view to
 * view: the colour follows its key (a hash), not its rank. "Other apps" is neutral grey and
 * unattributed traffic (no local socket) a quieter grey, so neither reads as an app.
 */
import { UNATTRIBUTED_KEY } from '../lib/identity';

export const PALETTE = [
  '#3b82f6', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#ec4899',
  '#14b8a6', '#84cc16', '#f97316', '#6366f1', '#06b6d4', '#a855f7',
];
export const OTHER_COLOUR = '#94a3b8';
export const UNATTRIBUTED_COLOUR = '#cbd5e1';
/** The "all other apps" series id. */
export const OTHER_ID = 'other';

/** colourSlot is the palette index a key hashes to (FNV-1a), the same on server and client. */
export function colourSlot(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return (h >>> 0) % PALETTE.length;
}

/**
 * seriesColours gives each series id its colour: its own slot, or, when a series listed before it
 * (ranked higher) already took that colour in this chart, the next free one, so no two areas match.
 */
export function seriesColours(ids: string[]): string[] {
  const taken = new Set<number>();
  return ids.map((id) => {
    if (id === OTHER_ID) return OTHER_COLOUR;
    if (id === UNATTRIBUTED_KEY) return UNATTRIBUTED_COLOUR;
    let slot = colourSlot(id);
    for (let k = 0; k < PALETTE.length && taken.has(slot); k++) slot = (slot + 1) % PALETTE.length;
    taken.add(slot);
    return PALETTE[slot];
  });
}

/** colourByKey maps each chart series id (an app key) to its colour in that chart, for the legend-like swatches of a table. */
export function colourByKey(series: Array<{ id: string }>): Record<string, string> {
  const colours = seriesColours(series.map((s) => s.id));
  return Object.fromEntries(series.map((s, i) => [s.id, colours[i]]));
}
