/**
 * The bench's result document: every figure of every workload and mode, with the machine,
 * weft's version and commit, and the options. `--json` writes it; `--compare` reads an
 * earlier one; the HTML report is drawn from it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkloadResult } from '../harness.js';
import { BenchOptionError, type ResolvedBenchOptions } from '../options.js';
import type { Mode, Target } from '../workload.js';

export const SCHEMA = 'weft-bench/1';

export interface Machine {
  cores: number;
  cpu: string;
  memoryBytes: number;
  node: string;
  platform: string;
  arch: string;
  osRelease: string;
}

export interface BenchDocument {
  schema: typeof SCHEMA;
  /** When the bench finished, ISO 8601. */
  timestamp: string;
  weft: { version: string; commit: string };
  machine: Machine;
  options: {
    workloads: string[];
    runs: number;
    scale: number;
    modes: string[];
    threads: number;
    durationSec: number;
    warmUp: boolean;
    target: Target;
    /** The daemon's URL with `--url` (never the token). */
    url?: string;
  };
  results: WorkloadResult[];
  skipped: Array<{ workload: string; reason: string }>;
  /** Workloads that threw (or lost work: completed ≠ submitted), with the error. */
  failed: Array<{ workload: string; mode: Mode; error: string }>;
  /** What the figures mean: ratios, sizes, caveats. */
  notes: string[];
}

export function machine(): Machine {
  const cpu = cpus();
  return {
    cores: cpu.length,
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    memoryBytes: totalmem(),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    osRelease: release(),
  };
}

const HERE = dirname(fileURLToPath(import.meta.url));

/** package.json's version: two folders up from bench/report, three from dist/bench/report. */
export function weftVersion(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'weft' && pkg.version) return pkg.version;
    } catch {
      // Not this one: try the next.
    }
  }
  return 'unknown';
}

/** `git rev-parse HEAD` of the checkout the bench runs from, `-dirty` if it has changes; else 'unknown'. */
export function gitCommit(): string {
  const git = (...args: string[]): string =>
    execFileSync('git', args, {
      cwd: HERE,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    }).trim();
  try {
    const head = git('rev-parse', 'HEAD');
    let dirty = false;
    try {
      dirty = git('status', '--porcelain', '--untracked-files=no').length > 0;
    } catch {
      // Unknown: report the commit alone.
    }
    return dirty ? `${head}-dirty` : head;
  } catch {
    return 'unknown';
  }
}

export function buildDocument(
  options: ResolvedBenchOptions,
  results: WorkloadResult[],
  skipped: BenchDocument['skipped'],
  failed: BenchDocument['failed'],
  notes: string[],
): BenchDocument {
  return {
    schema: SCHEMA,
    timestamp: new Date().toISOString(),
    weft: { version: weftVersion(), commit: gitCommit() },
    machine: machine(),
    options: {
      workloads: options.workloads,
      runs: options.runs,
      scale: options.scale,
      modes: options.daemon ? ['daemon'] : options.modes,
      threads: options.threads,
      durationSec: options.durationSec,
      warmUp: options.warmUp,
      target: options.daemon ? 'daemon' : 'embedded',
      ...(options.daemon && { url: options.daemon.url }),
    },
    results,
    skipped,
    failed,
    notes,
  };
}

export function writeDocument(file: string, doc: BenchDocument): void {
  writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
}

/** Reads a result file for `--compare`; a file that is not one is the option's error. */
export function readDocument(file: string): BenchDocument {
  let doc: Partial<BenchDocument>;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as Partial<BenchDocument>;
  } catch (err) {
    throw new BenchOptionError('compare', `${file} is not a bench result: ${(err as Error).message}`);
  }
  if (doc.schema !== SCHEMA || !Array.isArray(doc.results))
    throw new BenchOptionError(
      'compare',
      `${file} is not a bench result (schema ${JSON.stringify(doc.schema)}, not ${SCHEMA})`,
    );
  return doc as BenchDocument;
}
