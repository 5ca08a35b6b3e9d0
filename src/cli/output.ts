/**
 * What the CLI prints and how it ends: tables or JSON on stdout, errors as
 * `weft: CODE: message` on stderr, and the exit codes. Also the parsers of option values,
 * which turn bad input into usage errors.
 */
import { CommanderError, InvalidArgumentError } from 'commander';
import { WeftError } from '../errors.js';
import { formatTable, type Cell, type Column } from './table.js';

/** The CLI's exit codes (documented in `weft --help`). */
export const ExitCode = {
  OK: 0,
  /** The workflow failed (`start --wait`), or the daemon answered an error. */
  FAILED: 1,
  /** Unknown command or option, a missing argument, bad JSON. */
  USAGE: 2,
  DAEMON_UNREACHABLE: 3,
} as const;

/** A mistake in how the CLI was called; exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The output options every client command takes. */
export interface OutputOptions {
  json?: boolean;
  header?: boolean;
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

/** Prints `document` as JSON with `--json`, else `rows` as an aligned table. */
export function printTable(
  options: OutputOptions,
  columns: readonly Column[],
  rows: ReadonlyArray<readonly Cell[]>,
  document: unknown,
): void {
  if (options.json) printJson(document);
  else process.stdout.write(formatTable(columns, rows, { header: options.header ?? false }));
}

/** The exit code for an error that ended a command. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
  if (err instanceof UsageError) return ExitCode.USAGE;
  if (err instanceof WeftError) {
    if (err.code === 'DAEMON_UNREACHABLE') return ExitCode.DAEMON_UNREACHABLE;
    if (err.code === 'CONFIG_INVALID') return ExitCode.USAGE;
  }
  return ExitCode.FAILED;
}

/** Writes the error to stderr (commander has written its own already). */
export function reportError(err: unknown): void {
  if (err instanceof CommanderError) return;
  if (err instanceof UsageError) process.stderr.write(`weft: ${err.message}\n(add --help for usage)\n`);
  else if (err instanceof WeftError) process.stderr.write(`weft: ${err.code}: ${err.message}\n`);
  else process.stderr.write(`weft: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
}

/** An option value that must be a whole number of at least `min`. */
export function integer(min = 0): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min)
      throw new InvalidArgumentError(`It must be a whole number of at least ${min}.`);
    return value;
  };
}

/** An option or argument value that must be JSON. */
export function jsonValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(`It is not JSON (quote strings: '"text"').`);
  }
}
