/** CSV as RFC 4180 with spreadsheet-formula neutralisation. */

export type Cell = string | number | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * csvCell quotes one value per RFC 4180 (quotes doubled; quoted when it holds a comma,
 * quote, CR or LF). Text that starts with = + - @ (or tab/CR) gets a leading apostrophe so a
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
