/** `weft bench`: the throughput harness (bench/), on an embedded runtime or against a daemon with `--url`. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { CATALOG } from '../../../bench/catalog.js';
import type { Durability } from '../../store/journal.js';
import { resolveConnection } from '../connection.js';
import { ExitCode, integer, UsageError } from '../output.js';

interface BenchCommandOptions {
  runs: number;
  scale?: number;
  modes?: Durability[];
  threads?: number;
  duration?: number;
  json?: string;
  compare?: string;
  report?: string;
  url?: string;
  token?: string;
  data?: string;
  warmUp: boolean;
}

function positive(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError('It must be a number above 0.');
  return value;
}

function modeList(text: string): Durability[] {
  const modes = text.split(',').map((m) => m.trim());
  if (modes.length === 0 || modes.some((m) => m !== 'fsync' && m !== 'process'))
    throw new InvalidArgumentError('List fsync, process or both, comma separated.');
  return modes as Durability[];
}

export function registerBenchCommand(program: Command): void {
  const width = Math.max(...CATALOG.map((w) => w.name.length));
  program
    .command('bench')
    .description('measure throughput and latency: each workload beside the raw limits measured in the same run')
    .argument('[workloads...]', 'workloads or groups to run (default: all, which is every workload but soak)')
    .option('--runs <n>', 'measured runs per workload and mode, after one warm-up; medians are reported', integer(1), 5)
    .option(
      '--scale <x>',
      'multiply operation counts by x (each has a floor); 0.05 for a quick look (default: 1)',
      positive,
    )
    .option('--modes <list>', 'durability modes, comma separated (default: fsync,process)', modeList)
    .option(
      '--threads <n>',
      'worker threads per runtime; w4-cpu scales over 1..n (default: the number of cores)',
      integer(1),
    )
    .option('--duration <s>', 'how long soak runs, in seconds (default: 60)', positive)
    .option('--json <file>', 'write every figure, the machine, version, commit and options as JSON')
    .option('--compare <file>', 'compare with an earlier --json result: ratios, regressions (> 10% worse) marked')
    .option('--report <file.html>', 'write a self-contained HTML report with charts')
    .option('--no-warm-up', 'skip the warm-up run (the figures are then less steady)')
    .addOption(
      new Option(
        '--url <url>',
        'run w1, w2, w3 and w6 against this daemon (load bench/weft.config.ts in it)',
      ).helpGroup('Daemon options:'),
    )
    .addOption(
      new Option('--token <token>', "the daemon's token (default: WEFT_TOKEN, or the token file in --data)").helpGroup(
        'Daemon options:',
      ),
    )
    .addOption(
      new Option(
        '--data <dir>',
        "the daemon's data folder, to read its token file (default: WEFT_DATA, or ./weft-data)",
      ).helpGroup('Daemon options:'),
    )
    .addHelpText(
      'after',
      `
Workloads:
${CATALOG.map((w) => `  ${w.name.padEnd(width)}  ${w.description}`).join('\n')}
Groups: all (the default), workflows (w1-w4), registry (w5, w6), queues (w7).

Each workload runs once to warm up, then --runs times, each in a fresh data folder; the table
shows medians, p50/p95/p99 latency where there are samples, peak RSS, and each figure's ratio
to the matching limit from the same run and mode (limits run first when a ratio needs them).

Examples:
  $ weft bench --runs 1 --scale 0.05                       # a quick look at everything
  $ weft bench w1-one-step w2-sequential --modes fsync --json now.json --compare before.json
  $ weft bench w8-resume --scale 0.02 --runs 1             # 2,000 waiting executions, projected to 100,000
  $ weft bench soak --duration 600 --report soak.html
  $ weft daemon --config bench/weft.config.ts --data ./bench-data &
  $ weft bench w1-one-step w3-fanout --url http://127.0.0.1:7420 --data ./bench-data`,
    )
    .action(async (workloads: string[], options: BenchCommandOptions) => {
      const daemon = options.url !== undefined ? resolveConnection(options) : undefined;
      if (daemon === undefined && (options.token !== undefined || options.data !== undefined))
        throw new UsageError('--token and --data go with --url');
      // Loaded here so that other commands do not pay for the bench's modules.
      const { runBench, BenchOptionError } = await import('../../../bench/run.js');
      try {
        const doc = await runBench({
          workloads,
          runs: options.runs,
          warmUp: options.warmUp,
          ...(options.scale !== undefined && { scale: options.scale }),
          ...(options.modes !== undefined && { modes: options.modes }),
          ...(options.threads !== undefined && { threads: options.threads }),
          ...(options.duration !== undefined && { durationSec: options.duration }),
          ...(options.json !== undefined && { json: options.json }),
          ...(options.compare !== undefined && { compare: options.compare }),
          ...(options.report !== undefined && { report: options.report }),
          ...(daemon && { daemon }),
        });
        if (doc.failed.length > 0) process.exitCode = ExitCode.FAILED;
      } catch (err) {
        if (err instanceof BenchOptionError) throw new UsageError(err.message);
        throw err;
      }
    });
}
