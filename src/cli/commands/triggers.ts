/** `weft trigger list|get|runs|add-cron|add-queue|pause|resume|delete`: cron schedules and queue triggers. */
import { InvalidArgumentError, type Command } from 'commander';
import type { TriggerView } from '../../client/triggers.js';
import { clientFor, withClientOptions, type ClientCommandOptions } from '../connection.js';
import { integer, jsonValue, printJson, printTable } from '../output.js';
import { isoSeconds } from '../table.js';

const COLUMNS = [
  { name: 'name' },
  { name: 'kind' },
  { name: 'workflow' },
  { name: 'schedule' },
  { name: 'state' },
  { name: 'running', align: 'right' as const },
  { name: 'next' },
  { name: 'last fired' },
];

function row(t: TriggerView): string[] {
  const schedule =
    t.kind === 'cron'
      ? `${t.cron ?? ''}${t.timezone ? ` (${t.timezone})` : ''}`
      : `queue ${t.queue ?? ''} ×${t.concurrency ?? 1}`;
  return [
    t.name,
    t.kind,
    t.workflow,
    schedule,
    t.paused ? 'paused' : 'live',
    String(t.running.length),
    isoSeconds(t.nextAt),
    isoSeconds(t.lastFiredAt),
  ];
}

const RUN_COLUMNS = [{ name: 'at' }, { name: 'outcome' }, { name: 'execution' }, { name: 'detail' }];

/** A value out of `choices`, as a usage error otherwise. */
function oneOf<T extends string>(...choices: T[]): (text: string) => T {
  return (text) => {
    if ((choices as string[]).includes(text)) return text as T;
    throw new InvalidArgumentError(`It must be one of ${choices.join(', ')}.`);
  };
}

/** `--input`: a JSON list of positional arguments, or `{ args, kwargs }`. */
function inputValue(text: string): { args?: unknown[]; kwargs?: Record<string, unknown> } {
  const value = jsonValue(text);
  if (Array.isArray(value)) return { args: value };
  if (typeof value === 'object' && value !== null) return value;
  throw new InvalidArgumentError('It must be a JSON list of arguments, or {"args": [...], "kwargs": {...}}.');
}

interface CronOptions extends ClientCommandOptions {
  input?: { args?: unknown[]; kwargs?: Record<string, unknown> };
  overlap?: 'skip' | 'allow';
  catchUp?: 'none' | 'latest' | 'all';
  timezone?: string;
  paused?: boolean;
}

export function registerTriggerCommands(program: Command): void {
  const trigger = program
    .command('trigger')
    .description('cron schedules and queue triggers that start workflows')
    .addHelpText(
      'after',
      `\nExample:\n  $ weft trigger add-cron nightly report '0 2 * * *' --timezone Europe/Oslo\n  $ weft trigger add-queue invoices invoice invoices --concurrency 4\n  $ weft trigger list --header`,
    );

  withClientOptions(
    trigger
      .command('list')
      .description('list triggers by name: kind, workflow, schedule, state, executions running, next and last fire')
      .action(async (options: ClientCommandOptions) => {
        const items = await clientFor(options).triggers.list();
        printTable(options, COLUMNS, items.map(row), { items });
      }),
  );

  withClientOptions(
    trigger
      .command('get <name>')
      .description('show one trigger (--json for every field)')
      .action(async (name: string, options: ClientCommandOptions) => {
        const t = await clientFor(options).triggers.get(name);
        printTable(options, COLUMNS, [row(t)], t);
      }),
  );

  withClientOptions(
    trigger
      .command('runs <name>')
      .description("a trigger's latest fires (at most 20), newest first")
      .action(async (name: string, options: ClientCommandOptions) => {
        const items = await clientFor(options).triggers.runs(name);
        const rows = items.map((r) => [isoSeconds(r.at), r.outcome, r.executionId, r.detail]);
        printTable(options, RUN_COLUMNS, rows, { items });
      }),
  );

  withClientOptions(
    trigger
      .command('add-cron')
      .argument('<name>', 'the trigger (its executions are named <name>:<scheduled time>)')
      .argument('<workflow>', 'the workflow it starts')
      .argument(
        '<cron>',
        "5 fields (minute hour day month weekday), 6 (seconds first), or @hourly, @daily… (quote it: '0 2 * * *')",
      )
      .description('start a workflow on a cron schedule')
      .option(
        '--input <json>',
        'each execution input: a JSON list of arguments, or {"args": [...], "kwargs": {...}}',
        inputValue,
      )
      .option(
        '--overlap <policy>',
        'skip (default): no fire while the last one runs; allow: start anyway',
        oneOf('skip', 'allow'),
      )
      .option(
        '--catch-up <rule>',
        'runs missed while down: none, latest (default), or all (at most 100)',
        oneOf('none', 'latest', 'all'),
      )
      .option('--timezone <zone>', 'the IANA zone the expression is read in (default UTC)')
      .option('--paused', 'create it paused')
      .addHelpText(
        'after',
        `\nExample:\n  $ weft trigger add-cron every5 report '*/5 * * * *' --input '[1, 2]' --overlap allow`,
      )
      .action(async (name: string, workflow: string, cron: string, options: CronOptions) => {
        const { input, overlap, catchUp, timezone, paused } = options;
        const t = await clientFor(options).triggers.create({
          kind: 'cron',
          name,
          workflow,
          cron,
          ...(input !== undefined && { input }),
          ...(overlap !== undefined && { overlap }),
          ...(catchUp !== undefined && { catchUp }),
          ...(timezone !== undefined && { timezone }),
          ...(paused && { paused }),
        });
        printTable(options, COLUMNS, [row(t)], t);
      }),
  );

  withClientOptions(
    trigger
      .command('add-queue')
      .argument('<name>', 'the trigger (its executions are named <name>:<element id>)')
      .argument('<workflow>', 'the workflow it starts, with the element {id, reference, data} as its argument')
      .argument('<queue>', 'the queue whose NEW elements it claims')
      .description('start one execution per NEW queue element, and record DONE or FAILED on the element')
      .option('--concurrency <n>', 'at most this many at once (default 1)', integer(1))
      .option('--paused', 'create it paused')
      .addHelpText('after', '\nExample:\n  $ weft trigger add-queue invoices invoice invoices --concurrency 4')
      .action(
        async (
          name: string,
          workflow: string,
          queue: string,
          options: ClientCommandOptions & { concurrency?: number; paused?: boolean },
        ) => {
          const { concurrency, paused } = options;
          const t = await clientFor(options).triggers.create({
            kind: 'queue',
            name,
            workflow,
            queue,
            ...(concurrency !== undefined && { concurrency }),
            ...(paused && { paused }),
          });
          printTable(options, COLUMNS, [row(t)], t);
        },
      ),
  );

  for (const action of ['pause', 'resume'] as const)
    withClientOptions(
      trigger
        .command(`${action} <name>`)
        .description(action === 'pause' ? 'stop firing (what runs goes on)' : 'fire again, from now on (no catch-up)')
        .action(async (name: string, options: ClientCommandOptions) => {
          const t = await clientFor(options).triggers[action](name);
          printTable(options, COLUMNS, [row(t)], t);
        }),
    );

  withClientOptions(
    trigger
      .command('delete <name>')
      .description('delete a trigger (executions it started go on)')
      .action(async (name: string, options: ClientCommandOptions) => {
        await clientFor(options).triggers.delete(name);
        if (options.json) printJson({ deleted: true });
        else process.stdout.write(`deleted ${name}\n`);
      }),
  );
}
