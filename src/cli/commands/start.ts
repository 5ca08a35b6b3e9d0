/** `weft start`: on a daemon, or `--local` in this process; `--wait` shows progress on a terminal. */
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { ExecutionView } from '../../client/client.js';
import { defaultLogger } from '../../logger.js';
import { clientFor, withClientOptions, type ClientCommandOptions } from '../connection.js';
import { ExitCode, jsonValue, printJson, UsageError } from '../output.js';

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

export function registerStartCommand(program: Command): void {
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

function completed(tasks: ReadonlyArray<{ state: string }>): number {
  return tasks.filter((t) => t.state === 'completed').length;
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
      logger: config.logger ?? defaultLogger('warn'),
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
