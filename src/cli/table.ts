/**
 * Aligned text tables, as simpleflow prints them: columns two spaces apart, column names
 * only with `--header`, no trailing spaces. Plus the cell formats the commands share.
 */

export interface Column {
  name: string;
  /** Numbers read best right-aligned. @default 'left' */
  align?: 'left' | 'right';
}

/** A cell: text as given; `undefined` is an empty cell. */
export type Cell = string | undefined;

/**
 * Formats `rows` under `columns`, one line per row, each ending with a newline. Newlines
 * and tabs inside cells become spaces so that every row stays on one line.
 *
 * @example
 * formatTable([{ name: 'id' }, { name: 'attempts', align: 'right' }], [['a', '1'], ['bb', '12']], { header: true });
 * // "id  attempts\na          1\nbb        12\n"
 */
export function formatTable(
  columns: readonly Column[],
  rows: ReadonlyArray<readonly Cell[]>,
  options: { header?: boolean } = {},
): string {
  const lines = rows.map((row) => columns.map((_, i) => oneLine(row[i] ?? '')));
  if (options.header) lines.unshift(columns.map((c) => c.name));
  if (lines.length === 0) return '';
  const widths = columns.map((_, i) => Math.max(...lines.map((line) => line[i]!.length)));
  return lines
    .map((line) =>
      line
        .map((cell, i) => (columns[i]!.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => line + '\n')
    .join('');
}

function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ');
}

/** An ISO time to the second, e.g. `2015-08-04T23:06:17Z`; empty when absent. */
export function isoSeconds(time: string | number | Date | undefined): string {
  if (time === undefined) return '';
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? String(time) : date.toISOString().slice(0, 19) + 'Z';
}

/** Milliseconds as seconds with two decimals, e.g. `1.39`. */
export function seconds(ms: number | undefined): string {
  return ms === undefined ? '' : (ms / 1000).toFixed(2);
}

/** Seconds between two times, two decimals; empty unless both are known. */
export function duration(from: string | undefined, to: string | undefined): string {
  if (from === undefined || to === undefined) return '';
  return seconds(Date.parse(to) - Date.parse(from));
}

/** A value as compact JSON (`undefined` as an empty cell). */
export function json(value: unknown): string {
  return JSON.stringify(value) ?? '';
}
