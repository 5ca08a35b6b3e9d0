#!/usr/bin/env node
/**
 * The weft command line. For now it runs workflows in-process on a data folder (no daemon);
 * the daemon and its client commands build on this.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { WeftError } from '../errors.js';
import { Runtime } from '../runtime.js';
import type { Durability } from '../store/journal.js';

const HELP = `Usage: weft <command> [options]

Commands:
  run <workflow> [input]   run a workflow in this process and print its result
                           input is JSON: a list of arguments, or {"args": [...], "kwargs": {...}}

Options for run:
  --workflows MODULE   a module exporting workflows (repeatable; required)
  --activities MODULE  a module exporting activities (repeatable)
  --data DIR           data folder (default: ./weft-data, or WEFT_DATA)
  --durability MODE    fsync (default) or process
  --id ID              execution id: running an id again answers its recorded outcome
  --json               print one JSON document: { id, status, result } or { id, status, error }
  -h, --help           show this help
  -v, --version        show the version

Exit codes: 0 the workflow succeeded, 1 it failed, 2 usage error.
Environment: LOG_LEVEL (default warn for the CLI), WEFT_DATA.
`;

class UsageError extends Error {}

function parseInput(text: string | undefined): { args: unknown[]; kwargs?: Record<string, unknown> } {
  if (text === undefined) return { args: [] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`input is not JSON: ${text}`);
  }
  if (Array.isArray(value)) return { args: value };
  if (typeof value === 'object' && value !== null) {
    const { args = [], kwargs } = value as { args?: unknown; kwargs?: unknown };
    if (!Array.isArray(args)) throw new UsageError('input "args" must be a list');
    if (kwargs !== undefined && (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)))
      throw new UsageError('input "kwargs" must be an object');
    return { args, ...(kwargs !== undefined && { kwargs: kwargs as Record<string, unknown> }) };
  }
  throw new UsageError('input must be a JSON list of arguments or {"args": [...], "kwargs": {...}}');
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      workflows: { type: 'string', multiple: true },
      activities: { type: 'string', multiple: true },
      data: { type: 'string' },
      durability: { type: 'string' },
      id: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const [workflow, inputText, ...extra] = positionals;
  if (!workflow) throw new UsageError('name the workflow to run');
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  if (!values.workflows?.length) throw new UsageError('pass --workflows MODULE');
  const durability = (values.durability ?? 'fsync') as Durability;
  if (durability !== 'fsync' && durability !== 'process') throw new UsageError('--durability is fsync or process');
  const input = parseInput(inputText);

  const rt = await Runtime.open({
    dataDir: values.data ?? process.env.WEFT_DATA ?? './weft-data',
    durability,
    workflows: values.workflows,
    activities: values.activities ?? [],
    logger: pino({ level: process.env.LOG_LEVEL?.toLowerCase() ?? 'warn' }, pino.destination(2)),
  });
  try {
    const handle = await rt.start({ workflow, ...input, ...(values.id !== undefined && { id: values.id }) });
    if (!values.json) handle.subscribe(({ status }) => process.stderr.write(`${handle.id}: ${status}\n`));
    try {
      const result = await handle.result();
      print(values.json, { id: handle.id, status: 'SUCCESS', result });
      return 0;
    } catch (err) {
      const e = err as WeftError;
      print(values.json, { id: handle.id, status: await handle.status(), error: { code: e.code, message: e.message } });
      return 1;
    }
  } finally {
    await rt.close();
  }
}

function print(json: boolean | undefined, doc: { id: string; status: string; result?: unknown; error?: object }): void {
  if (json) process.stdout.write(JSON.stringify(doc) + '\n');
  else if (doc.error) process.stdout.write(`${doc.status}: ${JSON.stringify(doc.error)}\n`);
  else process.stdout.write(`${JSON.stringify(doc.result) ?? 'undefined'}\n`);
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === '-v' || command === '--version') {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  if (command !== 'run') throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  return run(rest);
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    if (err instanceof UsageError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      process.stderr.write(`weft: ${(err as Error).message}\n\n${HELP}`);
      process.exitCode = 2;
    } else if (err instanceof WeftError) {
      process.stderr.write(`weft: ${err.code}: ${err.message}\n`);
      process.exitCode = err.code === 'INVALID_ARGUMENT' || err.code === 'WORKFLOW_NOT_FOUND' ? 2 : 1;
    } else {
      process.stderr.write(`weft: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
