/**
 * Text from the store shown on a terminal or in a spreadsheet. App names come from cgroup
 * names, which any user can choose in their delegated subtree, so they may carry ESC
 * sequences (retitle the window, recolour, rewrite what root sees) or bidi overrides.
 * They are shown escaped, never interpreted.
 */

/**
 * CONTROLS: C0 and DEL, C1 (U+0080–U+009F, which UTF-8 terminals may read as CSI, OSC, …),
 * the line and paragraph separators, and the bidi embeddings, overrides and isolates.
 */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const CONTROLS_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function visible(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** escapeControls writes every control character of s as a visible escape (ESC → `\x1b`, U+202E → `\u202e`). */
export function escapeControls(s: string): string {
  return s.replace(CONTROLS, visible);
}

/** escapeControlsKeepLines is escapeControls for whole messages: their own line breaks stay. */
export function escapeControlsKeepLines(s: string): string {
  return s.replace(CONTROLS_BUT_NEWLINE, visible);
}

/**
 * jsonForTerminal is JSON.stringify(value, null, 2) with C1, separators and bidi controls
 * written as \u escapes too (JSON.stringify escapes only C0); still valid JSON, same value.
 */
export function jsonForTerminal(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
