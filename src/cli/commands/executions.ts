/**
 * The execution commands: `list`, `info`, `tasks`, `profile`, `logs`, `signal` and `cancel`
 * (and `start`, in ./start.ts).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { ExecutionStatus } from '../../../actors/execution/history.js';
import type { LogLevel } from '../../client/client.js';
import type { LogLine } from '../../executions/execution-log.js';
import { formatLogLine, LOG_LEVELS } from '../log-lines.js';
import { clientFor, withClientOptions, type ClientCommandOptions } from '../connection.js';
import { integer, jsonValue, printJson, printTable, UsageError } from '../output.js';
import { duration, isoSeconds, json, seconds } from '../table.js';
import { registerStartCommand } from './start.js';

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

export function registerExecutionCommands(program: Command): void {
  registerStartCommand(program);

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

function taskName(task: { activity: string; step: number }): string {
  return `${task.activity}-${task.step}`;
}
