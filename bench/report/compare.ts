/**
 * `--compare FILE`: every figure present in both results, current ÷ earlier, marked when it
 * is more than 10% worse (or better) in the figure's own direction.
 */
import { formatTable } from '../../src/cli/table.js';
import type { Better } from '../workload.js';
import type { BenchDocument } from './json.js';
import { formatValue } from './table.js';

/** Worse by more than this fraction is a regression. */
export const REGRESSION = 0.1;

export type Verdict = 'regression' | 'improvement' | 'same';

export interface CompareRow {
  workload: string;
  mode: string;
  key: string;
  label: string;
  unit: string;
  better: Better;
  earlier: number;
  current: number;
  /** current ÷ earlier. */
  ratio: number;
  verdict: Verdict;
}

export interface Comparison {
  rows: CompareRow[];
  /** Differences that make the ratios less telling (another machine, scale, …). */
  warnings: string[];
}

export function verdictOf(ratio: number, better: Better): Verdict {
  if (better === 'none' || !Number.isFinite(ratio)) return 'same';
  const worse = better === 'higher' ? ratio < 1 - REGRESSION : ratio > 1 + REGRESSION;
  const improved = better === 'higher' ? ratio > 1 + REGRESSION : ratio < 1 - REGRESSION;
  return worse ? 'regression' : improved ? 'improvement' : 'same';
}

export function compareDocuments(current: BenchDocument, earlier: BenchDocument): Comparison {
  const rows: CompareRow[] = [];
  for (const result of current.results) {
    const before = earlier.results.find((r) => r.workload === result.workload && r.mode === result.mode);
    if (!before) continue;
    for (const f of result.figures) {
      const e = before.figures.find((x) => x.key === f.key);
      if (!e || f.better === 'none') continue;
      const ratio = e.value === 0 ? (f.value === 0 ? 1 : Infinity) : f.value / e.value;
      rows.push({
        workload: result.workload,
        mode: String(result.mode),
        key: f.key,
        label: f.label,
        unit: f.unit,
        better: f.better,
        earlier: e.value,
        current: f.value,
        ratio,
        verdict: verdictOf(ratio, f.better),
      });
    }
  }
  const warnings: string[] = [];
  const differs = (what: string, a: unknown, b: unknown): void => {
    if (JSON.stringify(a) !== JSON.stringify(b))
      warnings.push(`${what} differs: now ${JSON.stringify(a)}, then ${JSON.stringify(b)}`);
  };
  differs('scale', current.options.scale, earlier.options.scale);
  differs('threads', current.options.threads, earlier.options.threads);
  differs('target', current.options.target, earlier.options.target);
  differs('machine (cores, cpu, node)', pick(current), pick(earlier));
  return { rows, warnings };
}

function pick(doc: BenchDocument): unknown {
  return [doc.machine.cores, doc.machine.cpu, doc.machine.node];
}

const MARK: Record<Verdict, string> = { regression: '✗ worse', improvement: '✓ better', same: '' };

export function formatComparison(c: Comparison, earlier: BenchDocument): string {
  const head = `compared with ${earlier.timestamp} (weft ${earlier.weft.version}, ${earlier.weft.commit.slice(0, 12)}): current ÷ earlier; ✗ = more than ${REGRESSION * 100}% worse\n`;
  const table = formatTable(
    [
      { name: 'workload' },
      { name: 'mode' },
      { name: 'figure' },
      { name: 'earlier', align: 'right' },
      { name: 'current', align: 'right' },
      { name: 'ratio', align: 'right' },
      { name: '' },
    ],
    c.rows.map((r) => [
      r.workload,
      r.mode,
      `${r.label}${r.unit && r.unit !== 'bytes' ? ` (${r.unit})` : ''}`,
      formatValue(r.earlier, r.unit),
      formatValue(r.current, r.unit),
      Number.isFinite(r.ratio) ? r.ratio.toFixed(2) : '∞',
      MARK[r.verdict],
    ]),
    { header: true },
  );
  const regressions = c.rows.filter((r) => r.verdict === 'regression').length;
  const tail = `${regressions} regression${regressions === 1 ? '' : 's'} of ${c.rows.length} figures compared\n`;
  return head + table + tail + c.warnings.map((w) => `warning: ${w}\n`).join('');
}
