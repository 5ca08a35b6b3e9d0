import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { Journal } from '../store/journal.js';
import type { RangeOptions } from '../store/store.js';

/** A stored log line: pino's own JSON (level as a number, time, msg, executionId, workflow, …). */
export interface LogLine {
  level: number;
  time: number;
  msg?: string;
  executionId: string;
  workflow: string;
  [key: string]: unknown;
}

export const LEVELS: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

let counter = 0;

/** Keys sort by execution, then by when the line was written. */
function logKey(executionId: string, time: number): string {
  return `${executionId}\u0000${String(time).padStart(15, '0')}-${String(counter++).padStart(12, '0')}`;
}

export type LogListener = (key: string, line: LogLine) => void;

/** Tells followers of an execution's logs about each line as it is written. */
export class LogFeed {
  readonly #listeners = new Map<string, Set<LogListener>>();

  subscribe(executionId: string, listener: LogListener): () => void {
    let set = this.#listeners.get(executionId);
    if (!set) this.#listeners.set(executionId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(executionId);
    };
  }

  publish(key: string, line: LogLine): void {
    for (const listener of this.#listeners.get(line.executionId) ?? []) listener(key, line);
  }
}

/**
 * The logger behind every workflow's `ctx.log`: each line is printed (to stderr, at the
 * runtime logger's level) and stored with its execution, at every level, in the journal's
 * next batch. Stored lines are queryable by execution and level, and followed through `feed`.
 */
export function executionLogger(journal: Journal, level: string, feed: LogFeed): Logger {
  const store = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      try {
        const line = JSON.parse(chunk.toString()) as LogLine;
        if (typeof line.executionId === 'string') {
          const key = logKey(line.executionId, line.time);
          journal.write([{ type: 'put', kind: 'logs', key, value: JSON.stringify(line) }]);
          feed.publish(key, line);
        }
      } catch {
        // A line the journal refuses (it failed) is still printed.
      }
      done();
    },
  });
  return pino(
    { level: 'trace' },
    pino.multistream([
      { level: level, stream: pino.destination({ fd: 2, sync: true }) },
      { level: 'trace', stream: store },
    ]),
  );
}

/** The stored lines of one execution, oldest first, at `level` or above. */
export async function readLogs(
  journal: Journal,
  executionId: string,
  options: { level?: string; limit?: number } = {},
): Promise<LogLine[]> {
  return (await readLogEntries(journal, executionId, options)).map(([, line]) => line);
}

/** Like {@link readLogs}, with each line's store key (keys sort in writing order). */
export async function readLogEntries(
  journal: Journal,
  executionId: string,
  options: { level?: string; limit?: number } = {},
): Promise<Array<[string, LogLine]>> {
  await journal.applied();
  const min = levelNumber(options.level);
  const range: RangeOptions = { gt: executionId + '\u0000', lt: executionId + '\u0001' };
  const lines: Array<[string, LogLine]> = [];
  for (const [key, json] of await journal.store.range('logs', range)) {
    const line = JSON.parse(json) as LogLine;
    if (line.level >= min) lines.push([key, line]);
    if (options.limit !== undefined && lines.length >= options.limit) break;
  }
  return lines;
}

export function levelNumber(level: string | undefined): number {
  return LEVELS[level ?? 'trace'] ?? 10;
}
