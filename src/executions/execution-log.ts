import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { REDACT_PATHS } from '../logger.js';
import type { Clock } from '../clock.js';
import type { Journal } from '../store/journal.js';
import type { RangeOptions, WriteOp } from '../store/store.js';

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

/** Times as fixed-width text, so keys sort by time. */
export function padTime(time: number): string {
  return String(Math.min(Math.max(0, Math.trunc(time)), 999_999_999_999_999)).padStart(15, '0');
}

/** A line's place: when it was written, and a counter that orders lines of the same millisecond. */
export interface LogPosition {
  executionId: string;
  /** The padded time. */
  time: string;
  /** The padded counter. */
  counter: string;
}

/** Kind `logs`: keys sort by execution, then by when the line was written. */
export function logKey(p: LogPosition): string {
  return `${p.executionId}\u0000${p.time}-${p.counter}`;
}

/** Kind `log-times`, the index of every execution's lines by time: keys sort by time, then execution. */
export function logTimeKey(p: LogPosition): string {
  return `${p.time}\u0000${p.executionId}\u0000${p.counter}`;
}

/** The position a `logs` key names; undefined for a key of another shape. */
export function positionOfLogKey(key: string): LogPosition | undefined {
  const match = /^(.+)\u0000(\d{15})-(\d{12})$/s.exec(key);
  return match ? { executionId: match[1]!, time: match[2]!, counter: match[3]! } : undefined;
}

/** The position a `log-times` key names; undefined for a key of another shape. */
export function positionOfLogTimeKey(key: string): LogPosition | undefined {
  const match = /^(\d{15})\u0000(.+)\u0000(\d{12})$/s.exec(key);
  return match ? { time: match[1]!, executionId: match[2]!, counter: match[3]! } : undefined;
}

/** What the `log-times` index keeps of a line: enough to filter without reading the line. */
export interface LogTimeEntry {
  executionId: string;
  workflow: string;
  level: number;
}

/** The line and its index entry, to be written in one batch. */
function logOps(line: LogLine): { key: string; ops: WriteOp[] } {
  const position = {
    executionId: line.executionId,
    time: padTime(line.time),
    counter: String(counter++).padStart(12, '0'),
  };
  const key = logKey(position);
  const entry: LogTimeEntry = { executionId: line.executionId, workflow: String(line.workflow), level: line.level };
  return {
    key,
    ops: [
      { type: 'put', kind: 'logs', key, value: JSON.stringify(line) },
      { type: 'put', kind: 'log-times', key: logTimeKey(position), value: JSON.stringify(entry) },
    ],
  };
}

export type LogListener = (key: string, line: LogLine) => void;

/** Tells followers about each line as it is written: of one execution, or of every one. */
export class LogFeed {
  readonly #listeners = new Map<string, Set<LogListener>>();
  readonly #all = new Set<LogListener>();

  subscribe(executionId: string, listener: LogListener): () => void {
    let set = this.#listeners.get(executionId);
    if (!set) this.#listeners.set(executionId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(executionId);
    };
  }

  /** Hears every line of every execution. */
  subscribeAll(listener: LogListener): () => void {
    this.#all.add(listener);
    return () => this.#all.delete(listener);
  }

  /** Listeners of every line (for monitoring, and tests that wait for a follower). */
  get followers(): number {
    return this.#all.size;
  }

  publish(key: string, line: LogLine): void {
    for (const listener of this.#listeners.get(line.executionId) ?? []) listener(key, line);
    for (const listener of this.#all) listener(key, line);
  }
}

/**
 * The logger behind every workflow's `ctx.log`: each line is printed (to stderr, at the
 * runtime logger's level) and stored with its execution, at every level, in the journal's
 * next batch, with its entry in the `log-times` index. Stored lines are queryable by execution
 * and level, and across executions by time (src/logs.ts); `feed` tells followers. Lines are
 * stamped with `clock`'s time, so they age like everything else the runtime times.
 */
export function executionLogger(journal: Journal, level: string, feed: LogFeed, clock?: Clock): Logger {
  const store = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      try {
        const line = JSON.parse(chunk.toString()) as LogLine;
        if (typeof line.executionId === 'string') {
          const { key, ops } = logOps(line);
          journal.write(ops);
          feed.publish(key, line);
        }
      } catch {
        // A line the journal refuses (it failed) is still printed.
      }
      done();
    },
  });
  return pino(
    {
      level: 'trace',
      // What a workflow logs is stored too: a password in it must not reach the disk either.
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      ...(clock && { timestamp: () => `,"time":${clock.now()}` }),
    },
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
