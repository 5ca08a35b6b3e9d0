import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import type { Durability } from '../src/index.js';
import { DEFAULT_SIZES, registryRun, type RegistryFigures } from './registry.js';
import { fmt, median } from './stats.js';

const HELP = `Usage: npm run bench -- <suite> [options]

Suites:
  registry     settings and locks against raw LevelDB (both durability modes)

Options:
  --runs N       measured runs per mode; medians are reported (default 5)
  --modes LIST   durability modes, comma separated (default process,fsync)
  --scale X      multiply operation counts by X (default 1; 0.05 for a smoke run)
  --json FILE    also write every figure, the machine and the options as JSON
  -h, --help     show this help
`;

interface Row {
  figure: string;
  unit: string;
  key: keyof RegistryFigures;
  /** The raw limit this figure is compared with, from the same run and mode. */
  limit?: (f: RegistryFigures) => number;
  target?: (mode: Durability, f: RegistryFigures) => string;
}

const ROWS: Row[] = [
  { figure: 'raw LevelDB batch puts (limit)', unit: 'puts/s', key: 'rawBatchPutsPerSec' },
  { figure: 'raw LevelDB single put (limit)', unit: 'ms', key: 'rawPutLatencyMs' },
  {
    figure: 'settings writes, 100 writers',
    unit: 'writes/s',
    key: 'settingsWritesPerSec',
    limit: (f) => f.rawBatchPutsPerSec,
    target: () => '≥ 0.5 × raw batch puts',
  },
  { figure: 'settings reads, 100 readers', unit: 'reads/s', key: 'settingsReadsPerSec' },
  {
    figure: 'acquire+release, 100 locks',
    unit: 'pairs/s',
    key: 'lockPairsPerSec',
    limit: (f) => f.rawBatchPutsPerSec / 2,
    target: (mode) => (mode === 'fsync' ? '≥ 30,000/s' : ''),
  },
  {
    figure: 'hand-offs, 1 lock, 100 waiters',
    unit: 'hand-offs/s',
    key: 'handoffsPerSec',
    limit: (f) => 1000 / f.rawPutLatencyMs,
    target: (mode) => (mode === 'process' ? '≥ 20,000/s' : '≥ 0.8 × 1/synced put'),
  },
];

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
  if (suite !== 'registry') {
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
  const sizes = Object.fromEntries(
    Object.entries(DEFAULT_SIZES).map(([k, v]) => [k, Math.max(100, Math.round(v * scale))]),
  ) as unknown as typeof DEFAULT_SIZES;

  const perMode = {} as Record<Durability, RegistryFigures[]>;
  for (const mode of modes) {
    perMode[mode] = [];
    // A warm-up run, not counted: JIT, page cache, thread pool.
    await registryRun(mode, sizes);
    for (let r = 1; r <= runs; r++) {
      process.stderr.write(`registry ${mode}: run ${r}/${runs}\r`);
      perMode[mode].push(await registryRun(mode, sizes));
    }
    process.stderr.write('\n');
  }

  const medians = {} as Record<Durability, RegistryFigures>;
  for (const mode of modes) {
    const runsOf = perMode[mode];
    medians[mode] = Object.fromEntries(
      ROWS.map((row) => [row.key, median(runsOf.map((f) => f[row.key]))]),
    ) as unknown as RegistryFigures;
  }
  printTable(modes, medians, runs);

  if (values.json) {
    const doc = {
      suite,
      date: new Date().toISOString(),
      machine: { cores: cpus().length, memoryBytes: totalmem(), node: process.version, platform: process.platform },
      options: { runs, scale, modes, sizes },
      medians,
      runs: perMode,
    };
    writeFileSync(values.json, JSON.stringify(doc, null, 2));
    process.stderr.write(`wrote ${values.json}\n`);
  }
}

function printTable(modes: Durability[], medians: Record<Durability, RegistryFigures>, runs: number): void {
  const header = ['figure (median of ' + runs + ')', 'unit'];
  for (const mode of modes) header.push(mode, 'ratio', 'target');
  const lines = [header];
  for (const row of ROWS) {
    const line = [row.figure, row.unit];
    for (const mode of modes) {
      const f = medians[mode];
      line.push(fmt(f[row.key]), row.limit ? (f[row.key] / row.limit(f)).toFixed(2) : '', row.target?.(mode, f) ?? '');
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

await main();
