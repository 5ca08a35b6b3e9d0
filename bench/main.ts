import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import type { Durability } from '../src/index.js';
import { DEFAULT_SIZES, registryRun, type RegistryFigures, type RegistrySizes } from './registry.js';
import { fmt, median } from './stats.js';
import {
  CORES,
  CPU_TASK_MS,
  scaledSizes,
  workflowsRun,
  type WorkflowFigures,
  type WorkflowSizes,
} from './workflows.js';

const HELP = `Usage: npm run bench -- <suite> [options]

Suites:
  registry     settings and locks against raw LevelDB (both durability modes)
  workflows    durable executions (W1-W4, one-at-a-time latency) against raw Piscina no-op tasks

Options:
  --runs N       measured runs per mode, after one warm-up run; medians are reported (default 5)
  --modes LIST   durability modes, comma separated (default process,fsync)
  --scale X      multiply operation counts by X (default 1; 0.05 for a smoke run)
  --json FILE    also write every figure, the machine and the options as JSON
  -h, --help     show this help
`;

interface Row<F> {
  figure: string;
  unit: string;
  key: keyof F & string;
  /** The figure as a fraction of its raw limit, measured in the same run and mode. */
  ratio?: (f: F) => number;
  target?: (mode: Durability, f: F) => string;
}

interface Suite<F extends { [K in keyof F]: number }, S> {
  sizes(scale: number): S;
  run(mode: Durability, sizes: S): Promise<F>;
  rows(sizes: S): Row<F>[];
  notes?: string[];
}

/** A target, marked met (✓) or missed (✗). */
const goal = (label: string, met: boolean): string => `${label} ${met ? '✓' : '✗'}`;

const registry: Suite<RegistryFigures, RegistrySizes> = {
  sizes: (scale) =>
    Object.fromEntries(
      Object.entries(DEFAULT_SIZES).map(([k, v]) => [k, Math.max(100, Math.round(v * scale))]),
    ) as unknown as RegistrySizes,
  run: registryRun,
  rows: () => [
    { figure: 'raw LevelDB batch puts (limit)', unit: 'puts/s', key: 'rawBatchPutsPerSec' },
    { figure: 'raw LevelDB single put (limit)', unit: 'ms', key: 'rawPutLatencyMs' },
    {
      figure: 'settings writes, 100 writers',
      unit: 'writes/s',
      key: 'settingsWritesPerSec',
      ratio: (f) => f.settingsWritesPerSec / f.rawBatchPutsPerSec,
      target: () => '≥ 0.5 × raw batch puts',
    },
    { figure: 'settings reads, 100 readers', unit: 'reads/s', key: 'settingsReadsPerSec' },
    {
      figure: 'acquire+release, 100 locks',
      unit: 'pairs/s',
      key: 'lockPairsPerSec',
      ratio: (f) => f.lockPairsPerSec / (f.rawBatchPutsPerSec / 2),
      target: (mode) => (mode === 'fsync' ? '≥ 30,000/s' : ''),
    },
    {
      figure: 'hand-offs, 1 lock, 100 waiters',
      unit: 'hand-offs/s',
      key: 'handoffsPerSec',
      ratio: (f) => f.handoffsPerSec / (1000 / f.rawPutLatencyMs),
      target: (mode) => (mode === 'process' ? '≥ 20,000/s' : '≥ 0.8 × 1/synced put'),
    },
  ],
};

const n = (x: number): string => x.toLocaleString('en-US');

const workflows: Suite<WorkflowFigures, WorkflowSizes> = {
  sizes: scaledSizes,
  run: workflowsRun,
  rows: (s) => {
    const vsNoop = (key: keyof WorkflowFigures) => (f: WorkflowFigures) => f[key] / f.noopTasksPerSec;
    const fsync = (label: string, met: (f: WorkflowFigures) => boolean) => (mode: Durability, f: WorkflowFigures) =>
      mode === 'fsync' ? goal(label, met(f)) : '';
    return [
      { figure: `raw Piscina no-op, ${n(s.limitTasks)} at once (limit)`, unit: 'tasks/s', key: 'noopTasksPerSec' },
      { figure: 'raw Piscina no-op, one at a time (limit)', unit: 'ms', key: 'noopLatencyMs' },
      {
        figure: `W1 ${n(s.w1Workflows)} one-activity workflows`,
        unit: 'workflows/s',
        key: 'w1WorkflowsPerSec',
        ratio: vsNoop('w1WorkflowsPerSec'),
        target: fsync('≥ 6,500/s', (f) => f.w1WorkflowsPerSec >= 6500),
      },
      {
        figure: `W2 ${n(s.w2Workflows)} workflows × ${s.w2Steps} sequential`,
        unit: 'steps/s',
        key: 'w2StepsPerSec',
        ratio: vsNoop('w2StepsPerSec'),
        target: fsync('≥ 8,000/s', (f) => f.w2StepsPerSec >= 8000),
      },
      { figure: `W2 (the same, per workflow)`, unit: 'workflows/s', key: 'w2WorkflowsPerSec' },
      {
        figure: `W3 1 workflow, ${n(s.w3Activities)} fanned out`,
        unit: 'activities/s',
        key: 'w3ActivitiesPerSec',
        ratio: vsNoop('w3ActivitiesPerSec'),
        target: fsync('≥ 10,000/s', (f) => f.w3ActivitiesPerSec >= 10000),
      },
      { figure: 'CPU activity on the main thread', unit: 'ms', key: 'cpuTaskMs' },
      {
        figure: `raw Piscina ${s.w4Activities} CPU tasks, 1 thread (limit)`,
        unit: 'tasks/s',
        key: 'rawCpuOneThreadPerSec',
      },
      {
        figure: `raw Piscina ${s.w4Activities} CPU tasks, ${CORES} threads (limit)`,
        unit: 'tasks/s',
        key: 'rawCpuAllThreadsPerSec',
      },
      { figure: `raw Piscina speed-up, 1 → ${CORES} threads (limit)`, unit: '×', key: 'rawCpuSpeedUp' },
      {
        figure: `W4 ${s.w4Activities} CPU activities, 1 thread`,
        unit: 'activities/s',
        key: 'w4OneThreadPerSec',
        ratio: (f) => f.w4OneThreadPerSec / f.rawCpuOneThreadPerSec,
      },
      {
        figure: `W4 ${s.w4Activities} CPU activities, ${CORES} threads`,
        unit: 'activities/s',
        key: 'w4AllThreadsPerSec',
        ratio: (f) => f.w4AllThreadsPerSec / f.rawCpuAllThreadsPerSec,
      },
      {
        figure: `W4 speed-up, 1 → ${CORES} threads`,
        unit: '×',
        key: 'w4SpeedUp',
        ratio: (f) => f.w4SpeedUp / f.rawCpuSpeedUp,
        target: fsync('≥ 1.8×', (f) => f.w4SpeedUp >= 1.8),
      },
      {
        figure: 'one at a time, p50',
        unit: 'ms',
        key: 'latencyP50Ms',
        ratio: (f) => f.noopLatencyMs / f.latencyP50Ms,
        target: (mode, f) => (mode === 'process' ? goal('≤ 1 ms', f.latencyP50Ms <= 1) : ''),
      },
      { figure: 'one at a time, p99', unit: 'ms', key: 'latencyP99Ms', ratio: (f) => f.noopLatencyMs / f.latencyP99Ms },
    ];
  },
  notes: [
    'ratio: activities/s ÷ raw Piscina no-op tasks/s; W4: ÷ raw Piscina running the same CPU tasks on as many',
    '  threads (measured just before it); latency: the raw one-at-a-time round trip ÷ the figure.',
    `W4 activities hash for about ${CPU_TASK_MS} ms each: a fixed amount of work, calibrated once on the main thread,`,
    '  so on a shared machine the ms row and the CPU rates move with the neighbours; compare W4 with its raw limit.',
  ],
};

interface Options {
  suite: string;
  runs: number;
  scale: number;
  modes: Durability[];
  json?: string;
}

async function runSuite<F extends { [K in keyof F]: number }, S>(suite: Suite<F, S>, o: Options): Promise<void> {
  const sizes = suite.sizes(o.scale);
  const perMode = {} as Record<Durability, F[]>;
  for (const mode of o.modes) {
    perMode[mode] = [];
    // A warm-up run, not counted: JIT, page cache, thread pool.
    const end = process.stderr.isTTY ? '\r' : '\n';
    process.stderr.write(`${o.suite} ${mode}: warm-up${end}`);
    await suite.run(mode, sizes);
    for (let r = 1; r <= o.runs; r++) {
      process.stderr.write(`${o.suite} ${mode}: run ${r}/${o.runs}${end}`);
      perMode[mode].push(await suite.run(mode, sizes));
    }
    if (process.stderr.isTTY) process.stderr.write('\n');
  }

  const medians = {} as Record<Durability, F>;
  for (const mode of o.modes) {
    const runsOf = perMode[mode];
    const keys = Object.keys(runsOf[0] as F) as Array<keyof F>;
    medians[mode] = Object.fromEntries(keys.map((k) => [k, median(runsOf.map((f) => f[k]))])) as F;
  }
  printTable(suite.rows(sizes), o.modes, medians, o.runs);
  for (const line of suite.notes ?? []) process.stdout.write(line + '\n');

  if (o.json) {
    const doc = {
      suite: o.suite,
      date: new Date().toISOString(),
      machine: { cores: cpus().length, memoryBytes: totalmem(), node: process.version, platform: process.platform },
      options: { runs: o.runs, scale: o.scale, modes: o.modes, sizes },
      medians,
      runs: perMode,
    };
    writeFileSync(o.json, JSON.stringify(doc, null, 2));
    process.stderr.write(`wrote ${o.json}\n`);
  }
}

function printTable<F extends { [K in keyof F]: number }>(
  rows: Row<F>[],
  modes: Durability[],
  medians: Record<Durability, F>,
  runs: number,
): void {
  const header = ['figure (median of ' + runs + ')', 'unit'];
  for (const mode of modes) header.push(mode, 'ratio', 'target');
  const lines = [header];
  for (const row of rows) {
    const line = [row.figure, row.unit];
    for (const mode of modes) {
      const f = medians[mode];
      line.push(fmt(f[row.key]), row.ratio ? row.ratio(f).toFixed(2) : '', row.target?.(mode, f) ?? '');
    }
    lines.push(line);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)));
  for (const l of lines)
    process.stdout.write(
      l
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd() + '\n',
    );
}

const SUITES: Record<string, (o: Options) => Promise<void>> = {
  registry: (o) => runSuite(registry, o),
  workflows: (o) => runSuite(workflows, o),
};

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      runs: { type: 'string', default: '5' },
      modes: { type: 'string', default: 'process,fsync' },
      scale: { type: 'string', default: '1' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(HELP);
  const suite = positionals[0] ?? 'registry';
  const run = SUITES[suite];
  if (!run) {
    process.stderr.write(`Unknown suite ${JSON.stringify(suite)}.\n\n${HELP}`);
    process.exitCode = 2;
    return;
  }
  const runs = Number(values.runs);
  const scale = Number(values.scale);
  const modes = values.modes.split(',') as Durability[];
  if (!Number.isInteger(runs) || runs < 1 || !(scale > 0) || modes.some((m) => m !== 'fsync' && m !== 'process')) {
    process.stderr.write(`Invalid options.\n\n${HELP}`);
    process.exitCode = 2;
    return;
  }
  await run({ suite, runs, scale, modes, ...(values.json !== undefined && { json: values.json }) });
}

await main();
