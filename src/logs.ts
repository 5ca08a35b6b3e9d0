import { InvalidArgumentError, ReaderTooSlowError } from './errors.js';
import {
  LEVELS,
  logKey,
  logTimeKey,
  padTime,
  positionOfLogKey,
  positionOfLogTimeKey,
  type LogFeed,
  type LogLine,
  type LogPosition,
  type LogTimeEntry,
} from './executions/execution-log.js';
import type { LogLevel } from './executions/handle.js';
import { assertName } from './names.js';
import type { Journal } from './store/journal.js';

/** A query of {@link Logs.query}. Times are epoch ms or Dates: `since` inclusive, `until` exclusive. */
export interface LogQuery {
  workflow?: string;
  executionId?: string;
  /** Only lines at this level or above. @default 'trace' */
  level?: LogLevel;
  since?: number | Date;
  until?: number | Date;
  /** 1 to 1000. @default 100 */
  limit?: number;
  /** The cursor of the previous page. */
  cursor?: string;
}

export interface LogPage {
  /** Oldest first. */
  items: LogLine[];
  /** Present when there may be more: pass it as `cursor` for the next page. */
  cursor?: string;
}

export interface LogFollowOptions {
  workflow?: string;
  executionId?: string;
  /** @default 'trace' */
  level?: LogLevel;
  /** Ends the follow. */
  signal?: AbortSignal;
}

/**
 * Lines a follow holds for a reader that is slower than they are written. Past it the follow
 * ends with READER_TOO_SLOW ({@link fellBehind}) instead of holding lines without bound.
 */
export const FOLLOW_BUFFER_LINES = 10_000;

/** @internal What a follow whose reader fell behind ends with, after the lines it held. */
export function fellBehind(): ReaderTooSlowError {
  return new ReaderTooSlowError('log follow', FOLLOW_BUFFER_LINES);
}

/** Store reads per scan chunk: a selective filter still pages in bounded steps. */
const CHUNK = 500;
const MAX_LIMIT = 1000;
const END_OF_TIME = '\uffff';

interface Filter {
  workflow?: string;
  executionId?: string;
  level: number;
}

/**
 * Execution logs across executions, for operators: query by workflow, execution, level and
 * time range, a page at a time, or follow live lines as they are written. A time range is
 * read from the `log-times` index, so it costs the lines in the range, not the store.
 *
 * @example
 * const { items, cursor } = await rt.logs.query({ workflow: 'report', level: 'warn', since: Date.now() - 3_600_000 });
 * for await (const line of rt.logs.follow({ level: 'error', signal })) console.log(line.msg);
 */
export class Logs {
  readonly #journal: Journal;
  readonly #feed: LogFeed;
  readonly #follows = new Set<() => void>();
  #closed = false;

  /** @internal */
  constructor(journal: Journal, feed: LogFeed) {
    this.#journal = journal;
    this.#feed = feed;
  }

  /** Live follows, for monitoring. */
  get followers(): number {
    return this.#follows.size;
  }

  /** Stored lines, oldest first, `limit` at a time. */
  async query(query: LogQuery = {}): Promise<LogPage> {
    const filter = filterOf(query);
    const limit = query.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
      throw new InvalidArgumentError('limit', `it must be an integer from 1 to ${MAX_LIMIT}`);
    const since = query.since === undefined ? padTime(0) : padTime(epochMs('since', query.since));
    const until = query.until === undefined ? END_OF_TIME : padTime(epochMs('until', query.until));
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    await this.#journal.applied();
    return filter.executionId === undefined
      ? this.#byTime(filter, limit, since, until, after)
      : this.#byExecution(filter, filter.executionId, limit, since, until, after);
  }

  /**
   * Lines as they are written from now on (subscribed at the call, before the first
   * `next()`), across executions; ends when `signal` aborts or the runtime closes. Lines
   * wait in memory for a slow reader, up to {@link FOLLOW_BUFFER_LINES}: a reader that falls
   * further behind gets the lines held, then the follow throws READER_TOO_SLOW.
   */
  follow(options: LogFollowOptions = {}): AsyncIterableIterator<LogLine> {
    const filter = filterOf(options);
    const { signal } = options;
    const buffer: LogLine[] = [];
    let wake: (() => void) | undefined;
    let done = this.#closed || signal?.aborted === true;
    let behind = false;
    const end = (): void => {
      done = true;
      wake?.();
    };
    const unsubscribe = done
      ? () => undefined
      : this.#feed.subscribeAll((_key, line) => {
          if (behind || !matches(filter, line.executionId, line.workflow, line.level)) return;
          // The reader is too slow: a line missed now ends the follow, so it takes no more.
          if (buffer.length >= FOLLOW_BUFFER_LINES) behind = true;
          else buffer.push(line);
          wake?.();
        });
    if (!done) this.#follows.add(end);
    signal?.addEventListener('abort', end, { once: true });
    const stop = (): IteratorReturnResult<undefined> => {
      done = true;
      unsubscribe();
      this.#follows.delete(end);
      signal?.removeEventListener('abort', end);
      buffer.length = 0;
      return { done: true, value: undefined };
    };
    const iterator: AsyncIterableIterator<LogLine> = {
      next: async () => {
        while (!done && !behind && buffer.length === 0) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
        if (done) return stop();
        if (buffer.length > 0) return { done: false, value: buffer.shift() as LogLine };
        stop();
        throw fellBehind();
      },
      return: () => Promise.resolve(stop()),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Ends every follow (the runtime is closing). */
  close(): void {
    this.#closed = true;
    for (const end of [...this.#follows]) end();
  }

  /** Across executions: the `log-times` index from `since`, each line read from `logs`. */
  async #byTime(filter: Filter, limit: number, since: string, until: string, after?: string): Promise<LogPage> {
    const { store } = this.#journal;
    const items: LogLine[] = [];
    let from = after !== undefined && after >= since ? { gt: after } : { gte: since };
    for (;;) {
      const chunk = await store.range('log-times', { ...from, lt: until, limit: CHUNK });
      const wanted: Array<{ key: string; position: LogPosition }> = [];
      for (const [key, json] of chunk) {
        const entry = JSON.parse(json) as LogTimeEntry;
        const position = positionOfLogTimeKey(key);
        if (position && matches(filter, entry.executionId, entry.workflow, entry.level)) wanted.push({ key, position });
      }
      // Lines are read together, as many as the page still needs at a time.
      for (let at = 0; at < wanted.length;) {
        const slice = wanted.slice(at, (at += limit - items.length));
        const lines = await Promise.all(slice.map(({ position }) => store.get('logs', logKey(position))));
        for (const [i, line] of lines.entries()) {
          if (line === undefined) continue; // pruned since the index was read
          items.push(JSON.parse(line) as LogLine);
          if (items.length === limit) return { items, cursor: encodeCursor((slice[i] as { key: string }).key) };
        }
      }
      if (chunk.length < CHUNK) return { items };
      from = { gt: (chunk.at(-1) as [string, string])[0] };
    }
  }

  /** One execution: its own `logs` keys sort by time already. */
  async #byExecution(
    filter: Filter,
    executionId: string,
    limit: number,
    since: string,
    until: string,
    after?: string,
  ): Promise<LogPage> {
    const { store } = this.#journal;
    const prefix = executionId + '\u0000';
    const afterPosition = after === undefined ? undefined : positionOfLogTimeKey(after);
    if (afterPosition && afterPosition.executionId !== executionId)
      throw new InvalidArgumentError('cursor', 'it is the cursor of another execution');
    const afterKey = afterPosition && logKey(afterPosition);
    let from = afterKey !== undefined && afterKey >= prefix + since ? { gt: afterKey } : { gte: prefix + since };
    const lt = until === END_OF_TIME ? executionId + '\u0001' : prefix + until;
    const items: LogLine[] = [];
    for (;;) {
      const chunk = await store.range('logs', { ...from, lt, limit: CHUNK });
      for (const [key, json] of chunk) {
        from = { gt: key };
        const line = JSON.parse(json) as LogLine;
        if (!matches(filter, line.executionId, line.workflow, line.level)) continue;
        items.push(line);
        const position = positionOfLogKey(key) as LogPosition;
        if (items.length === limit) return { items, cursor: encodeCursor(logTimeKey(position)) };
      }
      if (chunk.length < CHUNK) return { items };
    }
  }
}

function filterOf(options: { workflow?: string; executionId?: string; level?: LogLevel }): Filter {
  if (options.workflow !== undefined) assertName('workflow name', options.workflow);
  if (options.executionId !== undefined) assertName('execution id', options.executionId);
  const level = options.level ?? 'trace';
  const number = Object.hasOwn(LEVELS, level) ? LEVELS[level] : undefined;
  if (number === undefined)
    throw new InvalidArgumentError('level', `it must be one of ${Object.keys(LEVELS).join(', ')}`);
  return {
    ...(options.workflow !== undefined && { workflow: options.workflow }),
    ...(options.executionId !== undefined && { executionId: options.executionId }),
    level: number,
  };
}

function matches(filter: Filter, executionId: string, workflow: string, level: number): boolean {
  return (
    level >= filter.level &&
    (filter.workflow === undefined || workflow === filter.workflow) &&
    (filter.executionId === undefined || executionId === filter.executionId)
  );
}

function epochMs(name: string, time: number | Date): number {
  const ms = time instanceof Date ? time.getTime() : time;
  if (typeof ms !== 'number' || !Number.isFinite(ms))
    throw new InvalidArgumentError(name, 'it must be a Date or a time in epoch milliseconds');
  return ms;
}

/** Cursors are `log-times` keys, in base64url so they travel in URLs and terminals. */
function encodeCursor(key: string): string {
  return Buffer.from(key).toString('base64url');
}

function decodeCursor(cursor: string): string {
  const key = typeof cursor === 'string' ? Buffer.from(cursor, 'base64url').toString() : '';
  if (positionOfLogTimeKey(key) === undefined)
    throw new InvalidArgumentError('cursor', 'it is not a cursor a log query answered');
  return key;
}
