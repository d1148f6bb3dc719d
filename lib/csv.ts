/** CSV as RFC 4180 with spreadsheet-formula neutralisation and control characters escaped. */
import { escapeControls } from './terminal';

export type Cell = string | number | null | undefined;

/**
 * FORMULA_START: what a spreadsheet may evaluate. Besides = + - @ spreadsheets skip leading
 * white space, and some take the fullwidth forms (＝ ＋ － ＠) as the ASCII ones.
 */
const FORMULA_START = /^[\s\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20]/;

/**
 * csvCell quotes one value per RFC 4180 (quotes doubled; quoted when it holds a comma or a
 * quote). Control characters, line breaks included, are written as visible escapes (`\x1b`,
 * lib/terminal.ts), so a cell cannot carry terminal sequences or split a row. Text that
 * starts with = + - @ (after any white space, or in fullwidth) gets a leading apostrophe so a
 * spreadsheet shows it instead of evaluating it; numbers are written as plain integers/decimals.
 */
export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`csvCell: cannot write non-finite number ${v}`);
    return String(v);
  }
  let s = v;
  if (FORMULA_START.test(s)) s = `'${s}`;
  s = escapeControls(s);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** toCsv renders a header row and data rows, CRLF line ends, ending with a line break. */
export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const lines = [header.map(csvCell).join(',')];
  for (const r of rows) {
    if (r.length !== header.length) throw new Error(`toCsv: row has ${r.length} cells, header has ${header.length}`);
    lines.push(r.map(csvCell).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}
