/**
 * `weft bench` from options to results: which workloads run in which modes (the limits
 * first, when ratios need them), each measured by the harness, then the summary table, and
 * the JSON, comparison and HTML report when asked for.
 */
import { writeFileSync } from 'node:fs';
import { WeftClient } from '../src/index.js';
import { EXT } from './fixtures.js';
import { measure, runsOf, type WorkloadResult } from './harness.js';
import { resolveBenchOptions, type BenchOptions, type ResolvedBenchOptions } from './options.js';
import { createProgress, type ProgressKind } from './progress.js';
import { compareDocuments, formatComparison } from './report/compare.js';
import { renderReport } from './report/html.js';
import { buildDocument, readDocument, writeDocument, type BenchDocument } from './report/json.js';
import { formatNotes, formatSummary } from './report/table.js';
import type { RunContext, RunOutput, Mode, Workload } from './workload.js';
import { DEFAULT_WORKLOADS, GROUPS, WORKLOAD_NAMES } from './catalog.js';
import { WORKLOADS, workload } from './workloads/index.js';

/** Where the bench writes: the table and comparison to `out`, progress and messages to `err`. */
export interface BenchIO {
  out(text: string): void;
  err(text: string): void;
  progress: ProgressKind;
}

export function processIO(): BenchIO {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    progress: process.stderr.isTTY ? 'bar' : 'lines',
  };
}

export function resolve(raw: BenchOptions): ResolvedBenchOptions {
  return resolveBenchOptions(raw, { names: WORKLOAD_NAMES, groups: GROUPS, defaults: DEFAULT_WORKLOADS });
}

interface Step {
  workload: Workload;
  mode: Mode;
}

/** The steps in order, and what cannot run here. */
export function plan(options: ResolvedBenchOptions): { steps: Step[]; skipped: BenchDocument['skipped'] } {
  const daemon = options.daemon !== undefined;
  const skipped: BenchDocument['skipped'] = [];
  const chosen: Workload[] = [];
  for (const name of options.workloads) {
    const w = workload(name);
    if (daemon && !w.remote)
      skipped.push({ workload: name, reason: 'runs in-process only: the HTTP API cannot drive it' });
    else chosen.push(w);
  }
  const limits = workload('limits');
  const needLimits = chosen.some((w) => w.usesLimits) && !chosen.includes(limits);
  const ordered = WORKLOADS.filter((w) => chosen.includes(w) || (needLimits && w === limits));
  const modes: Mode[] = daemon ? ['daemon'] : options.modes;
  return { steps: modes.flatMap((mode) => ordered.map((w) => ({ workload: w, mode }))), skipped };
}

/**
 * Runs the bench; answers the result document (also printed as a table, and written where
 * the options say). A workload that fails is listed in `failed` and the others go on.
 *
 * @example
 * const doc = await runBench({ workloads: ['w1-one-step'], runs: 1, scale: 0.01, modes: ['process'] });
 */
export { BenchOptionError } from './options.js';

export async function runBench(raw: BenchOptions, io: BenchIO = processIO()): Promise<BenchDocument> {
  const options = resolve(raw);
  const earlier = options.compare !== undefined ? readDocument(options.compare) : undefined;
  const client = options.daemon ? new WeftClient(options.daemon) : undefined;
  if (client) await client.health(); // DAEMON_UNREACHABLE now, not after the local limits
  const { steps, skipped } = plan(options);
  const total = steps.reduce((sum, s) => sum + runsOf(s.workload, options).reduce((a, b) => a + b), 0);
  const progress = createProgress(io.progress, total, io.err);
  for (const s of skipped) progress.say(`skipped ${s.workload}: ${s.reason}`);
  const results: WorkloadResult[] = [];
  const failed: BenchDocument['failed'] = [];
  const limits = new Map<Mode, Record<string, number>>();
  try {
    for (const { workload: w, mode } of steps) {
      const sizes = w.sizes(options);
      const exec = (ctx: RunContext): Promise<RunOutput> =>
        client ? w.remote!({ client, options, progress: ctx.progress }, sizes) : w.run!(ctx, sizes);
      try {
        const result = await measure({
          workload: w,
          sizes,
          mode,
          target: client ? 'daemon' : 'embedded',
          options,
          limits: limits.get(mode) ?? {},
          progress,
          exec,
          ...(client && { rssOf: () => daemonRss(client) }),
        });
        results.push(result);
        if (w.name === 'limits') limits.set(mode, Object.fromEntries(result.figures.map((f) => [f.key, f.value])));
      } catch (err) {
        // One failed workload must not cost the results of the others (a full run takes long).
        const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
        failed.push({ workload: w.name, mode, error });
        progress.say(`${w.name} ${mode} failed: ${error}`);
      }
    }
  } finally {
    progress.stop();
  }
  const doc = buildDocument(options, results, skipped, failed, notesFor(options, steps));
  io.out(formatSummary(doc) + '\n' + formatNotes(doc));
  if (options.json !== undefined) {
    writeDocument(options.json, doc);
    io.err(`wrote ${options.json}\n`);
  }
  const comparison = earlier ? { result: compareDocuments(doc, earlier), earlier } : undefined;
  if (comparison) io.out('\n' + formatComparison(comparison.result, comparison.earlier));
  if (options.report !== undefined) {
    writeFileSync(options.report, renderReport(doc, comparison));
    io.err(`wrote ${options.report}\n`);
  }
  return doc;
}

/** The daemon's resident memory, from its Prometheus metrics. */
async function daemonRss(client: WeftClient): Promise<number> {
  const match = /^process_resident_memory_bytes\s+(\d+(?:\.\d+)?(?:e\+?\d+)?)\s*$/m.exec(await client.metrics());
  if (!match?.[1]) throw new Error('the daemon reports no process_resident_memory_bytes');
  return Number(match[1]);
}

function notesFor(options: ResolvedBenchOptions, steps: Step[]): string[] {
  const notes: string[] = [];
  if (EXT === 'ts')
    notes.push(
      'run from the TypeScript sources (tsx): figures are for checking the harness; measure the build (npm run bench):',
      "  tsx's esbuild keeps function names with a helper that makes every closure heavier (W8's memory ~1.6× the build's).",
    );
  if (options.scale !== 1)
    notes.push(
      `scale ${options.scale}: operation counts are scaled (with floors); the targets are stated for --scale 1.`,
    );
  if (options.daemon)
    notes.push(
      `against the daemon at ${options.daemon.url}: its durability mode is its own; ratios are to GET /health from this client.`,
    );
  const seen = new Set<string>();
  for (const { workload: w } of steps)
    if (!seen.has(w.name)) {
      seen.add(w.name);
      notes.push(...(w.notes ?? []));
    }
  return notes;
}
