/**
 * The execution commands: `start` (on a daemon, or `--local` in this process), `list`,
 * `info`, `tasks`, `profile`, `logs`, `signal` and `cancel`.
 */
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { pino } from 'pino';
import type { ExecutionStatus } from '../../../actors/execution/history.js';
import type { ExecutionView, LogLevel } from '../../client/client.js';
import type { LogLine } from '../../executions/execution-log.js';
import { clientFor, withClientOptions, type ClientCommandOptions } from '../connection.js';
import { ExitCode, integer, jsonValue, printJson, printTable, UsageError } from '../output.js';
import { duration, isoSeconds, json, seconds } from '../table.js';

const STATUSES: readonly ExecutionStatus[] = [
  'PENDING',
  'RUNNING',
  'WAITING_LOCK',
  'WAITING_SIGNAL',
  'WAITING_CHILD',
  'SLEEPING',
  'SUCCESS',
  'FAILED',
  'CANCELLED',
  'TIMED_OUT',
];
const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
/** pino's numeric levels, by name. */
const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
/** Log line fields shown in their own columns, or of no use to a reader. */
const LOG_FIELDS_SHOWN = new Set(['level', 'time', 'msg', 'executionId', 'workflow', 'pid', 'hostname']);

type Input = { args: unknown[]; kwargs?: Record<string, unknown> };

/** How an execution ended, as `start --wait` reports it. */
interface Outcome {
  id: string;
  status: string;
  result?: unknown;
  error?: { code: string; message: string };
}

interface StartOptions extends ClientCommandOptions {
  input?: unknown;
  id?: string;
  wait?: boolean;
  local?: boolean;
  config?: string;
}

export function registerExecutionCommands(program: Command): void {
  withClientOptions(
    program
      .command('start <workflow>')
      .description('start an execution of a workflow; print its id, or with --wait its result')
      .option(
        '--input <json>',
        'the input: a JSON list of arguments, or {"args": [...], "kwargs": {...}} (default: [])',
        jsonValue,
      )
      .option('--id <id>', 'the execution id; starting an id that exists starts nothing new')
      .option('--wait', 'wait for the end and print the result (exit 1 if the workflow failed)')
      .option('--local', 'run in this process, without a daemon, on --data or a temporary folder (implies --wait)')
      .option('--config <file>', 'with --local: the config file (default: weft.config.ts, .js or .mjs here)')
      .addHelpText(
        'after',
        `
With --json, --wait prints one document: {"id", "status", "result"} or {"id", "status", "error": {"code", "message"}}.

Example:
  $ weft start basic --input '[1, 5]' --wait
  $ weft start basic --input '{"args": [1], "kwargs": {"t": 5}}' --id order-42
  $ weft start basic --input '[1]' --local --config ./weft.config.ts`,
      )
      .action(async (workflow: string, options: StartOptions) => {
        const input = toInput(options.input);
        if (options.config !== undefined && !options.local)
          throw new UsageError('--config is for --local; a daemon reads its own config');
        if (options.local) return finish(await startLocal(workflow, input, options), options);
        const client = clientFor(options);
        const started = await client.start(workflow, input, options.id !== undefined ? { id: options.id } : {});
        if (!started.created)
          process.stderr.write(`weft: execution ${started.id} exists (${started.status}); started nothing new\n`);
        if (!options.wait) {
          if (options.json) printJson({ id: started.id, status: started.status });
          else process.stdout.write(started.id + '\n');
          return;
        }
        const progress = new ProgressLine();
        try {
          progress.show(started.id, started.status, 0);
          const execution = await client.waitResult(started.id, {
            // On a terminal, short polls keep the progress line fresh.
            ...(progress.enabled && { pollMs: 1000 }),
            onUpdate: async ({ id, status }) => {
              if (progress.enabled) progress.show(id, status, completed(await client.tasks(id)));
            },
          });
          finish(outcomeOf(execution), options);
        } finally {
          progress.clear();
        }
      }),
  );

  withClientOptions(
    program
      .command('list')
      .description('list executions, oldest first: id, workflow, status, created, ended')
      .option('--status <status>', `only this status: ${STATUSES.join(', ')}`, status)
      .option('--workflow <name>', 'only executions of this workflow')
      .option('--since <time>', 'only executions created at or after this ISO time (or epoch ms)')
      .option('--limit <n>', 'at most this many (1-1000; default 100)', integer(1))
      .option('--cursor <cursor>', 'the next page: the cursor the previous page printed')
      .addHelpText(
        'after',
        '\nExample:\n  $ weft list --status RUNNING --header\n  $ weft list --workflow basic --since 2025-01-01T00:00:00Z --json',
      )
      .action(
        async (
          options: ClientCommandOptions & {
            status?: ExecutionStatus;
            workflow?: string;
            since?: string;
            limit?: number;
            cursor?: string;
          },
        ) => {
          const { status, workflow, since, limit, cursor } = options;
          const page = await clientFor(options).list({ status, workflow, since, limit, cursor });
          printTable(
            options,
            [{ name: 'id' }, { name: 'workflow' }, { name: 'status' }, { name: 'created' }, { name: 'ended' }],
            page.items.map((e) => [e.id, e.workflow, e.status, isoSeconds(e.createdAt), isoSeconds(e.endedAt)]),
            page,
          );
          if (page.cursor !== undefined && !options.json)
            process.stderr.write(`weft: there may be more: add --cursor ${page.cursor}\n`);
        },
      ),
  );

  withClientOptions(
    program
      .command('info <id>')
      .description('show one execution: workflow, version, status, times, input, and its result or error')
      .addHelpText('after', '\nExample:\n  $ weft info order-42 --header')
      .action(async (id: string, options: ClientCommandOptions) => {
        const e = await clientFor(options).get(id);
        const outcome = e.error ? `${e.error.code}: ${e.error.message}` : 'result' in e ? json(e.result) : '';
        printTable(
          options,
          [
            'id',
            'workflow',
            'version',
            'status',
            'created',
            'started',
            'ended',
            'duration',
            'input',
            'result/error',
          ].map((name) => ({ name, ...(name === 'duration' && { align: 'right' as const }) })),
          [
            [
              e.id,
              e.workflow,
              e.version,
              e.status,
              isoSeconds(e.createdAt),
              isoSeconds(e.startedAt),
              isoSeconds(e.endedAt),
              duration(e.startedAt, e.endedAt),
              json(e.input),
              outcome,
            ],
          ],
          e,
        );
      }),
  );

  withClientOptions(
    program
      .command('tasks <id>')
      .description("list an execution's activity tasks: last state, when, when scheduled, attempts")
      .addHelpText('after', '\nExample:\n  $ weft tasks order-42 --header')
      .action(async (id: string, options: ClientCommandOptions) => {
        const tasks = await clientFor(options).tasks(id);
        printTable(
          options,
          [
            { name: 'task' },
            { name: 'last state' },
            { name: 'last state time' },
            { name: 'scheduled time' },
            { name: 'attempts', align: 'right' },
          ],
          tasks.map((t) => [
            taskName(t),
            t.state,
            isoSeconds(t.lastStateAt),
            isoSeconds(t.scheduledAt),
            String(t.attempts),
          ]),
          { items: tasks },
        );
      }),
  );

  withClientOptions(
    program
      .command('profile <id>')
      .description("profile an execution: each task's time waiting and running, and its share of the total")
      .addHelpText(
        'after',
        '\nTimes are ISO seconds; waiting and running are in seconds; the last line is the total.\n\nExample:\n  $ weft profile order-42 --header',
      )
      .action(async (id: string, options: ClientCommandOptions) => {
        const profile = await clientFor(options).profile(id);
        const right = { align: 'right' as const };
        printTable(
          options,
          [
            { name: 'task' },
            { name: 'last state' },
            { name: 'scheduled' },
            { name: 'waiting', ...right },
            { name: 'started' },
            { name: 'running', ...right },
            { name: 'ended' },
            { name: '% of total', ...right },
          ],
          profile.items.map((p) => [
            taskName(p),
            p.state,
            isoSeconds(p.scheduledAt),
            seconds(p.waitingMs),
            isoSeconds(p.startedAt),
            seconds(p.runningMs),
            isoSeconds(p.endedAt),
            p.percent.toFixed(2),
          ]),
          profile,
        );
        if (!options.json) process.stdout.write(`total ${seconds(profile.totalMs)} s\n`);
      }),
  );

  withClientOptions(
    program
      .command('logs <id>')
      .description("print an execution's log lines: time, level, message, other fields")
      .addOption(new Option('--level <level>', 'only lines at this level or above').choices(LOG_LEVELS))
      .option('--limit <n>', 'at most this many lines', integer(1))
      .option('--follow', 'keep printing new lines until the execution ends')
      .addHelpText(
        'after',
        '\nWith --json, one JSON document per line.\n\nExample:\n  $ weft logs order-42 --level info --follow',
      )
      .action(
        async (id: string, options: ClientCommandOptions & { level?: LogLevel; limit?: number; follow?: boolean }) => {
          const client = clientFor(options);
          const print = (line: LogLine): void => {
            process.stdout.write((options.json ? JSON.stringify(line) : formatLogLine(line)) + '\n');
          };
          if (options.follow) {
            if (options.limit !== undefined) throw new UsageError('--limit does not go with --follow');
            for await (const line of client.followLogs(id, options.level ? { level: options.level } : {})) print(line);
          } else {
            for (const line of await client.logs(id, { level: options.level, limit: options.limit })) print(line);
          }
        },
      ),
  );

  withClientOptions(
    program
      .command('signal')
      .argument('<id>', 'the execution')
      .argument('<name>', 'the signal')
      .argument('[payload]', 'a JSON value (default: null)', jsonValue)
      .description('send a signal to an execution, with a JSON payload (default: null)')
      .addHelpText('after', `\nExample:\n  $ weft signal order-42 approve '{"by": "toni"}'`)
      .action(async (id: string, name: string, payload: unknown, options: ClientCommandOptions) => {
        await clientFor(options).signal(id, name, payload ?? null);
        if (options.json) printJson({ delivered: true });
        else process.stdout.write(`delivered signal ${name} to ${id}\n`);
      }),
  );

  withClientOptions(
    program
      .command('cancel <id>')
      .description('cancel an execution: pending steps are abandoned, running activities see their abort signal')
      .option('--reason <text>', 'why, recorded with the cancellation')
      .addHelpText('after', '\nExample:\n  $ weft cancel order-42 --reason "wrong customer"')
      .action(async (id: string, options: ClientCommandOptions & { reason?: string }) => {
        const answer = await clientFor(options).cancel(id, options.reason);
        if (options.json) printJson(answer);
        else if (answer.cancelled) process.stdout.write(`cancelled ${id}\n`);
        else process.stdout.write(`${id} was not cancelled: it had ended (${answer.status})\n`);
      }),
  );
}

function status(text: string): ExecutionStatus {
  const upper = text.toUpperCase() as ExecutionStatus;
  if (!STATUSES.includes(upper)) throw new InvalidArgumentError(`It must be one of ${STATUSES.join(', ')}.`);
  return upper;
}

/** `--input`: a list of arguments, or `{ args, kwargs }`. */
function toInput(value: unknown): Input {
  if (value === undefined) return { args: [] };
  if (Array.isArray(value)) return { args: value };
  if (typeof value === 'object' && value !== null) {
    const { args = [], kwargs, ...unknown } = value as { args?: unknown; kwargs?: unknown };
    const extra = Object.keys(unknown);
    if (extra.length > 0) throw new UsageError(`--input takes only "args" and "kwargs", not ${extra.join(', ')}`);
    if (!Array.isArray(args)) throw new UsageError('--input "args" must be a list');
    if (kwargs !== undefined && (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)))
      throw new UsageError('--input "kwargs" must be an object');
    return { args, ...(kwargs !== undefined && { kwargs: kwargs as Record<string, unknown> }) };
  }
  throw new UsageError('--input must be a JSON list of arguments, or {"args": [...], "kwargs": {...}}');
}

function taskName(task: { activity: string; step: number }): string {
  return `${task.activity}-${task.step}`;
}

function completed(tasks: ReadonlyArray<{ state: string }>): number {
  return tasks.filter((t) => t.state === 'completed').length;
}

function formatLogLine(line: LogLine): string {
  const extra = Object.fromEntries(Object.entries(line).filter(([key]) => !LOG_FIELDS_SHOWN.has(key)));
  return [
    new Date(line.time).toISOString(),
    (LEVEL_NAMES[line.level] ?? String(line.level)).padEnd(5),
    line.msg ?? '',
    Object.keys(extra).length > 0 ? JSON.stringify(extra) : '',
  ]
    .filter((part) => part !== '')
    .join(' ');
}

function outcomeOf(e: ExecutionView): Outcome {
  if (e.status === 'SUCCESS') return { id: e.id, status: e.status, result: e.result };
  const error = e.error ?? { code: 'WORKFLOW_ERROR', message: `the execution ended ${e.status}` };
  return { id: e.id, status: e.status, error: { code: error.code, message: error.message } };
}

/** Prints how the execution ended; a workflow that did not succeed exits 1. */
function finish(outcome: Outcome, options: { json?: boolean }): void {
  if (options.json) printJson(outcome);
  else if (outcome.error)
    process.stderr.write(
      `weft: ${outcome.error.code}: ${outcome.error.message} (execution ${outcome.id} ${outcome.status})\n`,
    );
  else process.stdout.write((JSON.stringify(outcome.result) ?? 'null') + '\n');
  if (outcome.status !== 'SUCCESS') process.exitCode = ExitCode.FAILED;
}

/** `start --local`: a runtime in this process, on `--data` or a temporary folder removed afterwards. */
async function startLocal(workflow: string, input: Input, options: StartOptions): Promise<Outcome> {
  const [{ findConfig, loadConfig }, { Runtime }] = await Promise.all([
    import('../../config.js'),
    import('../../runtime.js'),
  ]);
  const file = options.config ?? findConfig(process.cwd());
  if (file === undefined)
    throw new UsageError(`no config: pass --config FILE, or add weft.config.ts (or .js, .mjs) to ${process.cwd()}`);
  // A daemon's address means nothing here.
  const { host: _host, port: _port, ...config } = await loadConfig(path.resolve(file));
  const temp = options.data === undefined ? await fs.mkdtemp(path.join(os.tmpdir(), 'weft-local-')) : undefined;
  // Interrupted, the run is lost anyway: leave no temporary folder behind.
  const onInterrupt = (signal: NodeJS.Signals): void => {
    if (temp !== undefined) rmSync(temp, { recursive: true, force: true });
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  };
  if (temp !== undefined) process.once('SIGINT', onInterrupt).once('SIGTERM', onInterrupt);
  try {
    const rt = await Runtime.open({
      ...config,
      dataDir: options.data ?? temp,
      logger: config.logger ?? pino({ level: process.env.LOG_LEVEL?.toLowerCase() ?? 'warn' }, pino.destination(2)),
    });
    try {
      const handle = await rt.start({ workflow, ...input, ...(options.id !== undefined && { id: options.id }) });
      const progress = new ProgressLine();
      const refresh = async (): Promise<void> => {
        progress.show(handle.id, await handle.status(), completed(await handle.tasks()));
      };
      const timer = progress.enabled ? setInterval(() => void refresh().catch(() => {}), 500) : undefined;
      try {
        await handle.result().catch(() => {});
      } finally {
        clearInterval(timer);
        progress.clear();
      }
      const info = await handle.info();
      return info.error
        ? { id: info.id, status: info.status, error: { code: info.error.code, message: info.error.message } }
        : { id: info.id, status: info.status, result: info.result };
    } finally {
      await rt.close();
    }
  } finally {
    process.off('SIGINT', onInterrupt).off('SIGTERM', onInterrupt);
    if (temp !== undefined) await fs.rm(temp, { recursive: true, force: true });
  }
}

/** One line on stderr, rewritten in place, while `start --wait` waits; only on a terminal. */
class ProgressLine {
  readonly enabled = process.stderr.isTTY === true;
  #shown = false;

  show(id: string, status: string, stepsDone: number): void {
    if (!this.enabled) return;
    process.stderr.write(`\r\x1b[2K${id} ${status} · ${stepsDone} step${stepsDone === 1 ? '' : 's'} done`);
    this.#shown = true;
  }

  clear(): void {
    if (this.#shown) process.stderr.write('\r\x1b[2K');
    this.#shown = false;
  }
}
