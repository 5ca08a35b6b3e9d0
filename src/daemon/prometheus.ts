/**
 * `rt.metrics()` in the Prometheus text exposition format 0.0.4. The runtime counts
 * everything pre-aggregated, so rendering is all that is left (no client library).
 */
import type { Histogram, RuntimeMetrics } from '../metrics.js';
import { EXECUTION_STATUSES } from './schemas.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Readonly<Record<string, string>>;

/** The exposition text: one family per metric, each with its HELP and TYPE lines. */
export function renderPrometheus(metrics: RuntimeMetrics, residentMemoryBytes: number): string {
  const out: string[] = [];
  family(out, 'weft_executions', 'gauge', 'Executions in the store, by status.');
  for (const status of EXECUTION_STATUSES) sample(out, 'weft_executions', { status }, metrics.executions[status] ?? 0);
  family(out, 'weft_executions_dormant', 'gauge', 'Executions waiting on signals with no actor in memory.');
  sample(out, 'weft_executions_dormant', {}, metrics.dormant);

  family(out, 'weft_activity_duration_seconds', 'histogram', 'Activity attempt latency, from dispatch to answer.');
  for (const { activity, taskList, ok, latency } of metrics.activities)
    histogram(
      out,
      'weft_activity_duration_seconds',
      { activity, task_list: taskList, outcome: ok ? 'ok' : 'error' },
      latency,
    );

  const pools: Array<[string, 'gauge' | 'counter', string, (p: RuntimeMetrics['pools'][number]) => number]> = [
    ['weft_pool_threads', 'gauge', 'Worker threads of the task list.', (p) => p.threads],
    [
      'weft_pool_utilization',
      'gauge',
      'Share of time the threads spent running activities (0 to 1).',
      (p) => p.utilization,
    ],
    ['weft_pool_queue_size', 'gauge', 'Activities waiting for a thread.', (p) => p.queueSize],
    ['weft_pool_completed_total', 'counter', 'Activity attempts the pool has finished.', (p) => p.completed],
  ];
  for (const [name, type, help, value] of pools) {
    family(out, name, type, help);
    for (const pool of metrics.pools) sample(out, name, { task_list: pool.taskList }, value(pool));
  }

  const { journal } = metrics;
  family(out, 'weft_journal_batches_total', 'counter', 'Group commits written by the journal.');
  sample(out, 'weft_journal_batches_total', {}, journal.batches);
  family(out, 'weft_journal_ops_total', 'counter', 'Writes committed by the journal.');
  sample(out, 'weft_journal_ops_total', {}, journal.ops);
  family(out, 'weft_journal_batch_size', 'histogram', 'Writes per group commit.');
  histogram(out, 'weft_journal_batch_size', {}, journal.batchSize);

  family(out, 'process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.');
  sample(out, 'process_resident_memory_bytes', {}, residentMemoryBytes);
  return out.join('\n') + '\n';
}

function family(out: string[], name: string, type: string, help: string): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
}

function sample(out: string[], name: string, labels: Labels, value: number): void {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  out.push(`${name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${formatNumber(value)}`);
}

/** `_bucket` lines with cumulative counts (the runtime counts per bucket), then `_sum` and `_count`. */
function histogram(out: string[], name: string, labels: Labels, h: Histogram): void {
  let cumulative = 0;
  h.bounds.forEach((bound, i) => {
    cumulative += h.counts[i] ?? 0;
    sample(out, `${name}_bucket`, { ...labels, le: formatNumber(bound) }, cumulative);
  });
  sample(out, `${name}_bucket`, { ...labels, le: '+Inf' }, h.count);
  sample(out, `${name}_sum`, labels, h.sum);
  sample(out, `${name}_count`, labels, h.count);
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

/** Label values escape backslash, double quote and newline. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
