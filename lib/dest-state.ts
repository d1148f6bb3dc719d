/**
 * Whether destinations are being recorded, as the collector reports it (issue 19, the privacy
 * switch). The dashboard's switch and `appnet destinations on|off` only record a wish (the
 * global setting); the collector applies it at its next poll, unless it was started with
 * `--no-destinations` or its counter cannot record them (nft read through its JSON listing), and
 * records what it does.
 */
import { z } from 'zod';
import { formatDateTime } from './format';

/** Why the collector records destinations or not: it does (`on`); the setting is off; `--no-destinations`; its nft counter cannot show them. */
export const DEST_CAUSES = ['on', 'setting', 'flag', 'nft'] as const;
export type DestinationsCause = (typeof DEST_CAUSES)[number];

/** The collector's state of destination recording, since when (unix seconds). */
export const destinationsStateSchema = z.strictObject({
  recording: z.boolean(),
  cause: z.enum(DEST_CAUSES),
  since: z.number().int().nonnegative(),
});
export type DestinationsState = z.infer<typeof destinationsStateSchema>;

/**
 * destinationsCause is the state a collector is in, from its option (`allowed`: no
 * --no-destinations), the wish (`wanted`: option and setting) and whether its counter counts
 * destinations now: the option wins (the setting cannot undo it), then what is counted, then
 * the setting; wanted and not counted is a counter that cannot (nft read as JSON).
 */
export function destinationsCause(s: { allowed: boolean; wanted: boolean; counting: boolean }): DestinationsCause {
  if (!s.allowed) return 'flag';
  if (s.counting) return 'on';
  return s.wanted ? 'nft' : 'setting';
}

/** parseDestinationsState reads the stored state back; null when absent or not understood (an older or newer collector). */
export function parseDestinationsState(text: string | null | undefined): DestinationsState | null {
  if (!text) return null;
  try {
    const r = destinationsStateSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/**
 * destinationsStateText says in one sentence what the collector does with destinations and,
 * when the wish (the setting) differs from it, what will happen; `state` null: it has not said.
 */
export function destinationsStateText(state: DestinationsState | null, wish: boolean): string {
  if (state === null) return `The collector has not reported yet whether it records destinations; the setting asks for ${wish ? 'on' : 'off'}.`;
  const since = formatDateTime(state.since);
  switch (state.cause) {
    case 'on':
      return wish ? `Recording destinations since ${since}.` : `Recording destinations since ${since}; the collector stops at its next poll.`;
    case 'setting':
      return wish ? `Off since ${since}; the collector starts recording at its next poll.` : `Off since ${since}: nothing new is recorded.`;
    case 'flag':
      return `Off since ${since}: the collector was started with --no-destinations, so this switch cannot turn recording on (restart it without that option).`;
    case 'nft':
      return `Off since ${since}: the collector counts with nft sets and cannot read their destinations here (nft's JSON listing, used when its nftdump helper is not built, does not show them), so this switch cannot turn recording on.`;
  }
}
