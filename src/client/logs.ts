import { DaemonUnreachableError, WeftError } from '../errors.js';
import type { LogLine } from '../executions/execution-log.js';
import { serverSentEvents, type Requester } from './http.js';
import type { ErrorView, LogLevel } from './views.js';

/** A time as the API takes it: epoch ms, a Date, or an ISO time. */
export type TimeInput = number | Date | string;

export interface LogQueryOptions {
  workflow?: string;
  executionId?: string;
  /** Only lines at this level or above. */
  level?: LogLevel;
  /** Lines written at or after. */
  since?: TimeInput;
  /** Lines written before. */
  until?: TimeInput;
  /** 1 to 1000. @default 100 */
  limit?: number;
  cursor?: string;
}

export interface LogPageView {
  items: LogLine[];
  cursor?: string;
}

/** `/api/v1/logs` (log lines across executions) and `/api/v1/retention/run`. */
export class LogsClient {
  readonly #http: Requester;

  constructor(http: Requester) {
    this.#http = http;
  }

  /** Stored lines, oldest first, a page at a time; pass `cursor` on for the next page. */
  query(options: LogQueryOptions = {}): Promise<LogPageView> {
    const { executionId, since, until, ...rest } = options;
    return this.#http.json('/api/v1/logs', {
      query: { ...rest, execution: executionId, since: timeText(since), until: timeText(until) },
    });
  }

  /** New lines as they are written, across executions, until `signal` aborts or the daemon closes. */
  async *follow(
    options: { workflow?: string; executionId?: string; level?: LogLevel; signal?: AbortSignal } = {},
  ): AsyncIterable<LogLine> {
    const { workflow, executionId, level, signal } = options;
    const res = await this.#http.request('/api/v1/logs', {
      query: { workflow, execution: executionId, level, follow: 1 },
      ...(signal && { signal }),
    });
    if (!res.body) return;
    let failure: WeftError | undefined;
    try {
      for await (const event of serverSentEvents(res.body)) {
        if (event.event === 'log') yield JSON.parse(event.data) as LogLine;
        else if (event.event === 'error') {
          const { error } = JSON.parse(event.data) as { error: ErrorView };
          failure = new WeftError(error.code, error.message, error.context ?? {});
          break;
        }
      }
    } catch (err) {
      throw signal?.aborted ? signal.reason : new DaemonUnreachableError(this.#http.url, err);
    }
    if (failure) throw failure;
  }

  /** Prunes finished executions past their retention now; answers how many it pruned. */
  runRetention(): Promise<{ pruned: number }> {
    return this.#http.json('/api/v1/retention/run', { method: 'POST' });
  }
}

function timeText(time: TimeInput | undefined): string | undefined {
  if (time === undefined) return undefined;
  return time instanceof Date ? time.toISOString() : String(time);
}
