/**
 * The summary table: one row per figure of each workload, and per mode its median, its
 * ratio to the limit and its target; latency percentiles share one row.
 */
import { formatTable, type Column } from '../../src/cli/table.js';
import type { FigureResult, WorkloadResult } from '../harness.js';
import { fmt } from '../stats.js';
import type { BenchDocument } from './json.js';

const MiB = 1024 * 1024;

/** A figure's value in its unit, bytes as MiB. */
export function formatValue(value: number, unit: string): string {
  if (unit === 'bytes') return Math.abs(value) >= 10 * MiB ? `${fmt(value / MiB)} MiB` : `${fmt(value / 1024)} KiB`;
  if (unit === '×') return `${value.toFixed(2)}×`;
  return fmt(value);
}

/** The unit as the table shows it. */
function unitOf(unit: string): string {
  return unit === 'bytes' ? '' : unit;
}

const LATENCY = /^latencyP(50|95|99)Ms$/;

interface Row {
  workload: string;
  label: string;
  unit: string;
  cell: (r: WorkloadResult) => { value: string; ratio: string; target: string };
}

function rowsOf(results: WorkloadResult[]): Row[] {
  const rows: Row[] = [];
  const seen = new Set<string>();
  for (const result of results) {
    for (const f of result.figures) {
      const latency = LATENCY.test(f.key);
      const id = `${result.workload}\u0000${latency ? 'latency' : f.key}`;
      if (seen.has(id)) continue;
      seen.add(id);
      if (latency) rows.push(latencyRow(result.workload, f));
      else
        rows.push({
          workload: result.workload,
          label: f.label,
          unit: unitOf(f.unit),
          cell: (r) => {
            const g = r.figures.find((x) => x.key === f.key);
            if (!g) return { value: '', ratio: '', target: '' };
            return {
              value: formatValue(g.value, g.unit),
              ratio: g.ratio === undefined ? '' : g.ratio.toFixed(2),
              target: g.target ? `${g.target.label} ${g.target.met ? '✓' : '✗'}` : '',
            };
          },
        });
    }
  }
  return rows;
}

function latencyRow(workload: string, p50: FigureResult): Row {
  const of = p50.label.replace(/^latency p50: /, '');
  return {
    workload,
    label: `latency p50 / p95 / p99: ${of}`,
    unit: 'ms',
    cell: (r) => {
      const get = (p: number): FigureResult | undefined => r.figures.find((x) => x.key === `latencyP${p}Ms`);
      const [a, b, c] = [get(50), get(95), get(99)];
      if (!a || !b || !c) return { value: '', ratio: '', target: '' };
      return {
        value: `${fmt(a.value)} / ${fmt(b.value)} / ${fmt(c.value)}`,
        ratio: a.ratio === undefined ? '' : a.ratio.toFixed(2),
        target: '',
      };
    },
  };
}

/** The summary's columns and cells (the text table and the HTML report share them). */
export function summaryCells(doc: BenchDocument): { columns: Column[]; lines: string[][] } {
  const modes = doc.options.modes;
  const columns: Column[] = [
    { name: 'workload' },
    { name: `figure (median of ${doc.options.runs})` },
    { name: 'unit' },
  ];
  for (const mode of modes)
    columns.push({ name: mode, align: 'right' }, { name: 'ratio', align: 'right' }, { name: 'target' });
  let last = '';
  const lines = rowsOf(doc.results).map((row) => {
    const cells = [row.workload === last ? '' : row.workload, row.label, row.unit];
    last = row.workload;
    for (const mode of modes) {
      const result = doc.results.find((r) => r.workload === row.workload && r.mode === mode);
      const c = result ? row.cell(result) : { value: '', ratio: '', target: '' };
      cells.push(c.value, c.ratio, c.target);
    }
    return cells;
  });
  return { columns, lines };
}

/** The table as text, with a header line. */
export function formatSummary(doc: BenchDocument): string {
  const { columns, lines } = summaryCells(doc);
  return formatTable(columns, lines, { header: true });
}

/** What each ratio is a fraction of, once per distinct pair; and the notes. */
export function formatNotes(doc: BenchDocument): string {
  const ratios = new Map<string, string>();
  for (const r of doc.results)
    for (const f of r.figures) {
      // The latency row shows p50's ratio.
      if (f.ratioOf === undefined || (LATENCY.test(f.key) && f.key !== 'latencyP50Ms')) continue;
      ratios.set(`${r.workload}: ${f.label}`, f.ratioOf);
    }
  const lines = [
    "ratio: the fraction of the limit's speed, measured in the same run and mode (throughput ÷ limit; for times, limit ÷ time):",
    ...[...ratios.entries()].map(([figure, of]) => `  ${figure} ÷ ${of}`),
    ...doc.notes,
    ...doc.skipped.map((s) => `skipped ${s.workload}: ${s.reason}`),
    ...doc.failed.map((f) => `FAILED ${f.workload} ${f.mode}: ${f.error.split('\n')[0]}`),
  ];
  return lines.map((l) => l + '\n').join('');
}
