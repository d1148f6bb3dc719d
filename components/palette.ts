/** Series colours readable on both light and dark backgrounds; 'other' is neutral grey. */
export const PALETTE = ['#3b82f6', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#ec4899', '#14b8a6', '#84cc16'];
export const OTHER_COLOUR = '#94a3b8';

/** seriesColour picks a series colour by position; key 'a0' (all other apps) is grey. */
export function seriesColour(key: string, index: number): string {
  return key === 'a0' ? OTHER_COLOUR : PALETTE[index % PALETTE.length];
}
