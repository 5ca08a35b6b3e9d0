/** How the CLI prints stored log lines (pino JSON): one line each, time, level, then the message and the line's own fields. */
import type { LogLevel } from '../client/client.js';
import type { LogLine } from '../executions/execution-log.js';
import { isoSeconds } from './table.js';

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** pino's numeric levels, by name. */
const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** Fields shown in their own columns, or of no use to a reader. */
const SHOWN = new Set(['level', 'time', 'msg', 'executionId', 'workflow', 'pid', 'hostname']);

export function levelName(level: number): string {
  return LEVEL_NAMES[level] ?? String(level);
}

/** The message, then the line's own fields as JSON. */
export function message(line: LogLine): string {
  const extra = Object.fromEntries(Object.entries(line).filter(([key]) => !SHOWN.has(key)));
  return [line.msg ?? '', Object.keys(extra).length > 0 ? JSON.stringify(extra) : ''].filter((p) => p !== '').join(' ');
}

/** Lines of one second are told apart by their milliseconds. */
export function isoMillis(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? isoSeconds(ms) : date.toISOString();
}

/** One printed line; `withExecution` adds the workflow and execution id (lines of many executions). */
export function formatLogLine(line: LogLine, withExecution = false): string {
  const where = withExecution ? [line.workflow, line.executionId] : [];
  return [isoMillis(line.time), levelName(line.level).padEnd(5), ...where, message(line)]
    .filter((part) => part !== '')
    .join(' ');
}
