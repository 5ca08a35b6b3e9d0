/**
 * `--report FILE.html`: one self-contained page (inline CSS, inline SVG, no script, nothing
 * fetched) with the summary, throughput against concurrency, and each workload's latency
 * distribution, drawn from the result document.
 */
import { formatComparison, type Comparison } from './compare.js';
import type { BenchDocument } from './json.js';
import { escapeHtml, histogramChart, lineChart, type Line } from './svg.js';
import { formatNotes, summaryCells } from './table.js';

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #111827; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #e5e7eb; }
.meta { color: #4b5563; } table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 3px 8px; border-bottom: 1px solid #f3f4f6; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; } th { background: #f9fafb; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; } .chart { background: #fff; border: 1px solid #e5e7eb; }
.chart .title { font-weight: 600; font-size: 13px; } .chart .axis, .chart .tick, .chart .legend { font-size: 11px; fill: #374151; }
.chart .grid { stroke: #f3f4f6; } .chart .bar { fill: #2563eb; }
pre { background: #f9fafb; padding: .6rem; overflow-x: auto; font-size: 12px; }
`;

function table(columns: Array<{ name: string; align?: 'left' | 'right' }>, lines: string[][]): string {
  const cls = (i: number): string => (columns[i]?.align === 'right' ? ' class="num"' : '');
  const head = columns.map((c, i) => `<th${cls(i)}>${escapeHtml(c.name)}</th>`).join('');
  const body = lines
    .map((l) => `<tr>${l.map((cell, i) => `<td${cls(i)}>${escapeHtml(cell)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Every series, one chart per `chart` key, a line per series and mode; `overTime` picks the charts over seconds. */
function seriesCharts(doc: BenchDocument, overTime: boolean): string[] {
  const charts = new Map<string, { title: string; x: string; y: string; lines: Line[] }>();
  const modes = new Set(doc.results.map((r) => r.mode));
  for (const r of doc.results)
    for (const s of r.series ?? []) {
      const chart = charts.get(s.chart) ?? { title: s.title, x: s.x, y: s.y, lines: [] };
      chart.lines.push({ name: modes.size > 1 ? `${s.name} (${r.mode})` : s.name, points: s.points });
      charts.set(s.chart, chart);
    }
  return [...charts.values()]
    .filter((c) => (c.x === 's') === overTime)
    .map((c) => lineChart(c.title, c.x, c.y, c.lines));
}

function histograms(doc: BenchDocument): string[] {
  return doc.results
    .filter((r) => r.latency && r.latency.histogram.counts.length > 0)
    .map((r) =>
      histogramChart(
        `${r.workload} (${r.mode}): ${r.latency!.of}, ${r.latency!.samples.toLocaleString('en-US')} samples`,
        'ms (log scale)',
        r.latency!.histogram,
      ),
    );
}

export function renderReport(doc: BenchDocument, comparison?: { result: Comparison; earlier: BenchDocument }): string {
  const { columns, lines } = summaryCells(doc);
  const m = doc.machine;
  const o = doc.options;
  const meta = [
    `weft ${doc.weft.version}, commit ${doc.weft.commit}`,
    `${doc.timestamp}`,
    `${m.cores} cores (${m.cpu}), ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, Node ${m.node}, ${m.platform} ${m.arch} ${m.osRelease}`,
    `target ${o.target}${o.url ? ` (${o.url})` : ''}; modes ${o.modes.join(', ')}; runs ${o.runs}; scale ${o.scale}; threads ${o.threads}` +
      (o.workloads.includes('soak') ? `; soak ${o.durationSec} s` : ''),
  ];
  const concurrency = seriesCharts(doc, false);
  const overTime = seriesCharts(doc, true);
  const latency = histograms(doc);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>weft bench ${escapeHtml(doc.timestamp)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${CSS}</style></head>
<body>
<h1>weft bench</h1>
<p class="meta">${meta.map(escapeHtml).join('<br>')}</p>
<h2>Summary</h2>
${table(columns, lines)}
<pre>${escapeHtml(formatNotes(doc))}</pre>
${concurrency.length > 0 ? `<h2>Throughput against concurrency</h2>\n<div class="charts">${concurrency.join('\n')}</div>` : ''}
${overTime.length > 0 ? `<h2>Over time</h2>\n<div class="charts">${overTime.join('\n')}</div>` : ''}
${latency.length > 0 ? `<h2>Latency distributions</h2>\n<div class="charts">${latency.join('\n')}</div>` : ''}
${comparison ? `<h2>Compared with an earlier result</h2>\n<pre>${escapeHtml(formatComparison(comparison.result, comparison.earlier))}</pre>` : ''}
</body></html>
`;
}
