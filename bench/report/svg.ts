/**
 * Inline SVG charts for the HTML report, drawn here: no library, no script, nothing fetched.
 * Every text is escaped.
 */
import { fmt, type Histogram } from '../stats.js';

const W = 640;
const H = 300;
const M = { left: 64, right: 16, top: 28, bottom: 44 };
/** Line charts keep this much on the right for the legend, so that it never covers a line. */
const LEGEND = 150;
const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563'];

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

/** About five round tick values from 0 (or `lo`) to at least `hi`. */
function ticks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let v = Math.floor(lo / step) * step; ; v += step) {
    out.push(Number(v.toPrecision(12)));
    if (v >= hi - step * 1e-9) return out;
  }
}

/** A tick's label: whole numbers with separators, others to 3 significant digits. */
function label(v: number): string {
  return Number.isInteger(v) ? v.toLocaleString('en-US') : String(Number(v.toPrecision(3)));
}

function frame(title: string, xLabel: string, yLabel: string, body: string, right = M.right): string {
  return (
    `<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(title)}">` +
    `<text x="${W / 2}" y="16" text-anchor="middle" class="title">${escapeHtml(title)}</text>` +
    `<text x="${(M.left + W - right) / 2}" y="${H - 6}" text-anchor="middle" class="axis">${escapeHtml(xLabel)}</text>` +
    `<text transform="translate(14 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle" class="axis">${escapeHtml(yLabel)}</text>` +
    body +
    '</svg>'
  );
}

export interface Line {
  name: string;
  points: Array<[number, number]>;
}

/** Lines over a shared x axis (logarithmic when x spans more than 20×, e.g. 2, 10, 100 contenders). */
export function lineChart(title: string, xLabel: string, yLabel: string, lines: Line[]): string {
  const xs = lines.flatMap((l) => l.points.map(([x]) => x));
  const ys = lines.flatMap((l) => l.points.map(([, y]) => y));
  if (xs.length === 0) return '';
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const log = xMin > 0 && xMax / xMin > 20;
  const yTicks = ticks(0, Math.max(...ys, 0) || 1);
  const yMax = yTicks[yTicks.length - 1] as number;
  const right = M.right + LEGEND;
  const px = (x: number): number => {
    const f = xMax === xMin ? 0.5 : log ? Math.log(x / xMin) / Math.log(xMax / xMin) : (x - xMin) / (xMax - xMin);
    return M.left + f * (W - M.left - right);
  };
  const py = (y: number): number => H - M.bottom - (y / yMax) * (H - M.top - M.bottom);
  let body = '';
  for (const t of yTicks)
    body += `<line x1="${M.left}" x2="${W - right}" y1="${py(t)}" y2="${py(t)}" class="grid"/><text x="${M.left - 6}" y="${py(t) + 4}" text-anchor="end" class="tick">${escapeHtml(label(t))}</text>`;
  // Few whole-number xs (threads, contenders) are labelled each; anything else gets round ticks.
  const distinct = [...new Set(xs)];
  const xTicks =
    distinct.length <= 12 && distinct.every(Number.isInteger)
      ? distinct
      : ticks(xMin, xMax).filter((t) => t >= xMin && t <= xMax);
  for (const t of xTicks)
    body += `<text x="${px(t)}" y="${H - M.bottom + 16}" text-anchor="middle" class="tick">${escapeHtml(label(t))}</text>`;
  lines.forEach((line, i) => {
    const color = PALETTE[i % PALETTE.length] as string;
    const d = line.points.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${px(x).toFixed(1)} ${py(y).toFixed(1)}`).join(' ');
    body += `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`;
    if (line.points.length <= 40)
      for (const [x, y] of line.points)
        body += `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${color}"/>`;
    body += `<rect x="${W - LEGEND + 4}" y="${M.top + 4 + i * 16}" width="10" height="10" fill="${color}"/><text x="${W - LEGEND + 18}" y="${M.top + 13 + i * 16}" class="legend">${escapeHtml(line.name)}</text>`;
  });
  return frame(title, xLabel, yLabel, body, right);
}

/** A latency histogram: one bar per (log-spaced) bin. */
export function histogramChart(title: string, xLabel: string, h: Histogram): string {
  if (h.counts.length === 0) return '';
  const n = h.counts.length;
  const yTicks = ticks(0, Math.max(...h.counts, 1));
  const yMax = yTicks[yTicks.length - 1] as number;
  const bw = (W - M.left - M.right) / n;
  const py = (y: number): number => H - M.bottom - (y / yMax) * (H - M.top - M.bottom);
  let body = '';
  for (const t of yTicks)
    body += `<line x1="${M.left}" x2="${W - M.right}" y1="${py(t)}" y2="${py(t)}" class="grid"/><text x="${M.left - 6}" y="${py(t) + 4}" text-anchor="end" class="tick">${escapeHtml(label(t))}</text>`;
  h.counts.forEach((count, i) => {
    const x = M.left + i * bw;
    const from = h.bounds[i] as number;
    const to = h.bounds[i + 1] as number;
    body += `<rect x="${(x + 1).toFixed(1)}" y="${py(count).toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${(H - M.bottom - py(count)).toFixed(1)}" class="bar"><title>${escapeHtml(`${fmt(from)}–${fmt(to)} ms: ${count}`)}</title></rect>`;
  });
  for (let i = 0; i <= n; i += Math.max(1, Math.ceil(n / 6)))
    body += `<text x="${(M.left + i * bw).toFixed(1)}" y="${H - M.bottom + 16}" text-anchor="middle" class="tick">${escapeHtml(label(Number((h.bounds[i] as number).toPrecision(2))))}</text>`;
  return frame(title, xLabel, 'samples', body);
}
