/**
 * `weft bench`'s options: raw in (every one optional), resolved out (everything set); a bad
 * option throws an error that names it.
 */
import { availableParallelism } from 'node:os';
import type { Durability } from '../src/index.js';

export interface BenchOptions {
  /** Workload or group names (see `weft bench --help`). @default every workload but soak */
  workloads?: string[];
  /** Measured runs per workload and mode, after one warm-up run; medians are reported. @default 5 */
  runs?: number;
  /** Multiplies operation counts (each has a floor that still measures something). @default 1 */
  scale?: number;
  /** @default ['fsync', 'process'] */
  modes?: Durability[];
  /** Worker threads per runtime; W4 scales over 1..threads. @default the number of cores */
  threads?: number;
  /** Soak duration, seconds. @default 60 */
  durationSec?: number;
  /** Run against this daemon instead of an embedded runtime. */
  daemon?: { url: string; token: string };
  /** Write every figure as JSON here. */
  json?: string;
  /** Compare with this earlier JSON result. */
  compare?: string;
  /** Write a self-contained HTML report here. */
  report?: string;
  /** Run one warm-up before the measured runs. @default true */
  warmUp?: boolean;
}

export interface ResolvedBenchOptions {
  workloads: string[];
  runs: number;
  scale: number;
  modes: Durability[];
  threads: number;
  durationSec: number;
  daemon?: { url: string; token: string };
  json?: string;
  compare?: string;
  report?: string;
  warmUp: boolean;
}

/** A bench option that is out of range; `option` is its name. */
export class BenchOptionError extends Error {
  override name = 'BenchOptionError';
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(option === 'workloads' ? message : `--${option}: ${message}`);
  }
}

const MODES: readonly Durability[] = ['fsync', 'process'];

/**
 * Resolves the options against the known workload names and groups; a group (e.g.
 * `workflows`) expands to its workloads, in registry order, each once.
 */
export function resolveBenchOptions(
  raw: BenchOptions,
  known: { names: readonly string[]; groups: Readonly<Record<string, readonly string[]>>; defaults: readonly string[] },
): ResolvedBenchOptions {
  const runs = raw.runs ?? 5;
  if (!Number.isSafeInteger(runs) || runs < 1) throw new BenchOptionError('runs', 'it must be a whole number ≥ 1');
  const scale = raw.scale ?? 1;
  if (!(typeof scale === 'number' && Number.isFinite(scale) && scale > 0))
    throw new BenchOptionError('scale', 'it must be a number above 0');
  const modes = raw.modes ?? ['fsync', 'process'];
  if (modes.length === 0 || modes.some((m) => !MODES.includes(m)))
    throw new BenchOptionError('modes', `list fsync, process or both (comma separated), not ${modes.join(',')}`);
  const threads = raw.threads ?? availableParallelism();
  if (!Number.isSafeInteger(threads) || threads < 1)
    throw new BenchOptionError('threads', 'it must be a whole number ≥ 1');
  const durationSec = raw.durationSec ?? 60;
  if (!(typeof durationSec === 'number' && Number.isFinite(durationSec) && durationSec > 0))
    throw new BenchOptionError('duration', 'it must be a number of seconds above 0');
  const asked = raw.workloads && raw.workloads.length > 0 ? raw.workloads : known.defaults;
  const wanted = new Set<string>();
  for (const name of asked) {
    const group = known.groups[name];
    if (group) group.forEach((w) => wanted.add(w));
    else if (known.names.includes(name)) wanted.add(name);
    else
      throw new BenchOptionError(
        'workloads',
        `unknown workload ${JSON.stringify(name)}; known: ${[...known.names, ...Object.keys(known.groups)].join(', ')}`,
      );
  }
  return {
    workloads: known.names.filter((n) => wanted.has(n)),
    runs,
    scale,
    modes: [...new Set(modes)],
    threads,
    durationSec,
    ...(raw.daemon && { daemon: raw.daemon }),
    ...(raw.json !== undefined && { json: raw.json }),
    ...(raw.compare !== undefined && { compare: raw.compare }),
    ...(raw.report !== undefined && { report: raw.report }),
    warmUp: raw.warmUp ?? true,
  };
}
