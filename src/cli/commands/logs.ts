/** `weft log query` (log lines across executions) and `weft retention run`. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { LogLevel } from '../../client/client.js';
import { formatLogLine, isoMillis, LOG_LEVELS, levelName, message } from '../log-lines.js';
import { clientFor, withClientOptions, type ClientCommandOptions } from '../connection.js';
import { integer, printJson, printTable, UsageError } from '../output.js';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

interface QueryOptions extends ClientCommandOptions {
  workflow?: string;
  execution?: string;
  level?: LogLevel;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
  follow?: boolean;
}

export function registerLogCommands(program: Command): void {
  const log = program
    .command('log')
    .description("query execution logs across executions (one execution's: weft logs <id>)")
    .addHelpText('after', '\nExample:\n  $ weft log query --workflow report --level warn --since 1h --header');

  withClientOptions(
    log
      .command('query')
      .description('print log lines across executions, oldest first: time, level, workflow, execution, message')
      .option('--workflow <name>', 'only lines of this workflow')
      .option('--execution <id>', 'only lines of this execution')
      .addOption(new Option('--level <level>', 'only lines at this level or above').choices(LOG_LEVELS))
      .option(
        '--since <time>',
        'lines written at or after: an ISO time, epoch ms, or an age such as 90s, 15m, 1h, 2d',
        time,
      )
      .option('--until <time>', 'lines written before (same forms as --since)', time)
      .option('--limit <n>', 'at most this many (1-1000; default 100)', integer(1))
      .option('--cursor <cursor>', 'the next page: the cursor the previous page printed')
      .option('--follow', 'print new lines as they are written, until interrupted')
      .addHelpText(
        'after',
        `
With --json, one document {"items", "cursor"}; with --follow --json, one JSON line per log line.

Example:
  $ weft log query --workflow report --level warn --since 1h --header
  $ weft log query --since 2026-01-01T00:00:00Z --until 2026-01-02T00:00:00Z --json
  $ weft log query --level error --follow`,
      )
      .action(async (options: QueryOptions) => {
        const client = clientFor(options);
        const { workflow, execution, level, since, until, limit, cursor } = options;
        if (options.follow) {
          if (since !== undefined || until !== undefined || limit !== undefined || cursor !== undefined)
            throw new UsageError('--follow prints new lines: --since, --until, --limit and --cursor do not go with it');
          const abort = new AbortController();
          const stop = (): void => abort.abort();
          process.once('SIGINT', stop).once('SIGTERM', stop);
          try {
            for await (const line of client.logQuery.follow({
              workflow,
              executionId: execution,
              level,
              signal: abort.signal,
            }))
              process.stdout.write((options.json ? JSON.stringify(line) : formatLogLine(line, true)) + '\n');
          } catch (err) {
            if (!abort.signal.aborted) throw err;
          } finally {
            process.off('SIGINT', stop).off('SIGTERM', stop);
          }
          return;
        }
        const page = await client.logQuery.query({
          workflow,
          executionId: execution,
          level,
          since,
          until,
          limit,
          cursor,
        });
        printTable(
          options,
          [{ name: 'time' }, { name: 'level' }, { name: 'workflow' }, { name: 'execution' }, { name: 'message' }],
          page.items.map((line) => [
            isoMillis(line.time),
            levelName(line.level),
            line.workflow,
            line.executionId,
            message(line),
          ]),
          page,
        );
        if (page.cursor !== undefined && !options.json)
          process.stderr.write(`weft: there may be more: add --cursor ${page.cursor}\n`);
      }),
  );

  const retention = program
    .command('retention')
    .description('prune finished executions (records, histories, logs) past their retention age');

  withClientOptions(
    retention
      .command('run')
      .description('run a retention pass now, as the daemon does every interval; print how many executions it pruned')
      .addHelpText('after', '\nExample:\n  $ weft retention run')
      .action(async (options: ClientCommandOptions) => {
        const answer = await clientFor(options).logQuery.runRetention();
        if (options.json) printJson(answer);
        else process.stdout.write(`pruned ${answer.pruned} finished execution${answer.pruned === 1 ? '' : 's'}\n`);
      }),
  );
}

/** `--since`/`--until`: an ISO time or epoch ms as given, or an age (`15m`) as the time that long ago. */
function time(text: string): string {
  const age = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (age) return String(Date.now() - Number(age[1]) * (UNITS[age[2] as string] as number));
  if (/^\d+$/.test(text.trim()) || Number.isFinite(Date.parse(text))) return text.trim();
  throw new InvalidArgumentError('It must be an ISO time, epoch milliseconds, or an age such as 15m, 1h or 2d.');
}
