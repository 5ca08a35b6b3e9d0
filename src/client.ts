/**
 * A typed client of the weft daemon's HTTP API (`/api/v1`), over Node's `fetch`. Error
 * bodies come back as {@link WeftError}s with the daemon's code; a daemon that cannot be
 * reached as DAEMON_UNREACHABLE.
 */
import type { ExecutionStatus, HistoryEvent } from '../actors/execution/history.js';
import { DaemonUnreachableError, WeftError, type ErrorCode } from './errors.js';
import type { LogLine } from './executions/execution-log.js';

export interface WeftClientOptions {
  /** The daemon's base URL, e.g. `http://127.0.0.1:7420`. */
  url: string;
  /** The bearer token (WEFT_TOKEN, or the daemon's `<data>/token` file). */
  token: string;
}

/** An error as the API reports it. */
export interface ErrorView {
  /** A weft error code, or INTERNAL for anything the daemon did not expect. */
  code: ErrorCode | 'INTERNAL';
  message: string;
  context?: Record<string, unknown>;
}

/** An execution as the API answers it; times are ISO strings. */
export interface ExecutionView {
  id: string;
  workflow: string;
  version: string;
  status: ExecutionStatus;
  input: { args: unknown[]; kwargs?: Record<string, unknown> };
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  result?: unknown;
  error?: ErrorView;
}

export interface ExecutionPageView {
  items: ExecutionView[];
  /** Present when there may be more: pass it back as `cursor`. */
  cursor?: string;
}

export interface TaskView {
  step: number;
  activity: string;
  taskList: string;
  state: 'scheduled' | 'retrying' | 'completed' | 'failed';
  attempts: number;
  scheduledAt: string;
  startedAt?: string;
  endedAt?: string;
  lastStateAt: string;
}

export interface ProfileRowView {
  step: number;
  activity: string;
  state: TaskView['state'];
  scheduledAt: string;
  startedAt?: string;
  endedAt?: string;
  waitingMs: number;
  runningMs: number;
  /** Share of the execution's total time spent running this task, 0–100. */
  percent: number;
}

export interface ProfileView {
  id: string;
  totalMs: number;
  items: ProfileRowView[];
}

export interface SettingView {
  id: string;
  name: string;
  value: unknown;
  version: number;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}

export interface SettingPageView {
  items: SettingView[];
  cursor?: string;
}

export interface LockView {
  name: string;
  holder?: { holder: string; token: number; since: string; count: number; expiresAt?: string };
  waiters: Array<{ holder: string; since: string; deadline?: string }>;
}

export interface LockGrantView {
  name: string;
  holder: string;
  token: number;
  /** When the lease expires unless renewed. */
  expiresAt?: string;
}

/** `result()`'s answer: the final execution, or (when the long-poll timed out first) its id and status. */
export type ResultView =
  { done: true; execution: ExecutionView } | { done: false; execution: { id: string; status: ExecutionStatus } };

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export type SettingKeyKind = 'id' | 'name';
type Query = Record<string, string | number | undefined>;

interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

/**
 * @example
 * const client = new WeftClient({ url: 'http://127.0.0.1:7420', token });
 * const { id } = await client.start('basic', [1, 5]);
 * const execution = await client.waitResult(id);
 */
export class WeftClient {
  readonly url: string;
  readonly #token: string;

  readonly settings = {
    create: (name: string, value: unknown, options: { updatedBy?: string } = {}): Promise<SettingView> =>
      this.#json('/api/v1/settings', { method: 'POST', body: { name, value, ...options } }),
    get: (key: string, options: { by?: SettingKeyKind } = {}): Promise<SettingView> =>
      this.#json(`/api/v1/settings/${encodeURIComponent(key)}`, { query: { by: options.by } }),
    update: (
      key: string,
      value: unknown,
      options: { by?: SettingKeyKind; expectedVersion?: number; updatedBy?: string } = {},
    ): Promise<SettingView> => {
      const { by, ...rest } = options;
      return this.#json(`/api/v1/settings/${encodeURIComponent(key)}`, {
        method: 'PATCH',
        query: { by },
        body: { value, ...rest },
      });
    },
    delete: async (key: string, options: { by?: SettingKeyKind } = {}): Promise<void> => {
      await this.#json(`/api/v1/settings/${encodeURIComponent(key)}`, { method: 'DELETE', query: { by: options.by } });
    },
    list: (options: { prefix?: string; limit?: number; cursor?: string } = {}): Promise<SettingPageView> =>
      this.#json('/api/v1/settings', { query: options }),
  };

  readonly locks = {
    list: async (): Promise<LockView[]> => (await this.#json<{ items: LockView[] }>('/api/v1/locks')).items,
    acquire: (
      name: string,
      options: { holder?: string; ttlMs?: number; timeoutMs?: number; signal?: AbortSignal } = {},
    ): Promise<LockGrantView> => {
      const { signal, ...body } = options;
      return this.#json(`/api/v1/locks/${encodeURIComponent(name)}/acquire`, {
        method: 'POST',
        body,
        ...(signal && { signal }),
      });
    },
    renew: (name: string, token: number): Promise<LockGrantView> =>
      this.#json(`/api/v1/locks/${encodeURIComponent(name)}/renew`, { method: 'POST', body: { token } }),
    release: async (name: string, token: number): Promise<void> => {
      await this.#json(`/api/v1/locks/${encodeURIComponent(name)}/release`, { method: 'POST', body: { token } });
    },
  };

  constructor(options: WeftClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#token = options.token;
  }

  /** Starts an execution; `created` is false when `id` named an existing one (nothing new started). */
  async start(
    workflow: string,
    input?: unknown[] | { args?: unknown[]; kwargs?: Record<string, unknown> },
    options: { id?: string } = {},
  ): Promise<{ id: string; status: ExecutionStatus; created: boolean }> {
    const body = {
      workflow,
      ...(input !== undefined && { input }),
      ...(options.id !== undefined && { id: options.id }),
    };
    const res = await this.#request('/api/v1/executions', { method: 'POST', body });
    const view = (await readJson(res, this.url)) as { id: string; status: ExecutionStatus };
    return { ...view, created: res.status === 201 };
  }

  get(id: string): Promise<ExecutionView> {
    return this.#json(executionPath(id));
  }

  list(
    options: {
      status?: ExecutionStatus;
      workflow?: string;
      since?: string | number | Date;
      limit?: number;
      cursor?: string;
    } = {},
  ): Promise<ExecutionPageView> {
    const { since, ...rest } = options;
    return this.#json('/api/v1/executions', {
      query: { ...rest, since: since instanceof Date ? since.toISOString() : since },
    });
  }

  async history(id: string): Promise<HistoryEvent[]> {
    return (await this.#json<{ items: HistoryEvent[] }>(executionPath(id, 'history'))).items;
  }

  async tasks(id: string): Promise<TaskView[]> {
    return (await this.#json<{ items: TaskView[] }>(executionPath(id, 'tasks'))).items;
  }

  profile(id: string): Promise<ProfileView> {
    return this.#json(executionPath(id, 'profile'));
  }

  async logs(id: string, options: { level?: LogLevel; limit?: number } = {}): Promise<LogLine[]> {
    return (await this.#json<{ items: LogLine[] }>(executionPath(id, 'logs'), { query: options })).items;
  }

  /** The execution's stored log lines, then live ones as they are written; ends when the execution ends. */
  async *followLogs(id: string, options: { level?: LogLevel; signal?: AbortSignal } = {}): AsyncIterable<LogLine> {
    const res = await this.#request(executionPath(id, 'logs'), {
      query: { level: options.level, follow: 1 },
      ...(options.signal && { signal: options.signal }),
    });
    if (!res.body) return;
    try {
      for await (const event of serverSentEvents(res.body)) {
        if (event.event === 'end') return;
        if (event.event === 'log') yield JSON.parse(event.data) as LogLine;
      }
    } catch (err) {
      throw options.signal?.aborted ? options.signal.reason : new DaemonUnreachableError(this.url, err);
    }
  }

  async signal(id: string, name: string, payload?: unknown): Promise<void> {
    await this.#json(executionPath(id, 'signals'), {
      method: 'POST',
      body: { name, ...(payload !== undefined && { payload }) },
    });
  }

  cancel(id: string, reason?: string): Promise<{ id: string; cancelled: boolean; status: ExecutionStatus }> {
    return this.#json(executionPath(id, 'cancel'), {
      method: 'POST',
      body: reason === undefined ? {} : { reason },
    });
  }

  /** One long-poll: waits up to `timeoutMs` (daemon default 30 s) for the execution to end. */
  async result(id: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ResultView> {
    const res = await this.#request(executionPath(id, 'result'), {
      query: { timeoutMs: options.timeoutMs },
      ...(options.signal && { signal: options.signal }),
    });
    const body = await readJson(res, this.url);
    return res.status === 200
      ? { done: true, execution: body as ExecutionView }
      : { done: false, execution: body as { id: string; status: ExecutionStatus } };
  }

  /**
   * Long-polls until the execution is final and answers it (SUCCESS or not: look at
   * `status`). `onUpdate` hears the status after every poll that timed out first.
   */
  async waitResult(
    id: string,
    options: {
      onUpdate?: (update: { id: string; status: ExecutionStatus }) => void | Promise<void>;
      /** How long each long-poll waits. @default 30000 */
      pollMs?: number;
      signal?: AbortSignal;
    } = {},
  ): Promise<ExecutionView> {
    for (;;) {
      const answer = await this.result(id, {
        timeoutMs: options.pollMs ?? 30_000,
        ...(options.signal && { signal: options.signal }),
      });
      if (answer.done) return answer.execution;
      await options.onUpdate?.(answer.execution);
    }
  }

  /** `GET /health` (no token needed). */
  health(): Promise<{ status: string }> {
    return this.#json('/health');
  }

  /** Prometheus text format. */
  async metrics(): Promise<string> {
    const res = await this.#request('/metrics');
    return readText(res, this.url);
  }

  async #json<T>(path: string, request: RequestOptions = {}): Promise<T> {
    return (await readJson(await this.#request(path, request), this.url)) as T;
  }

  /** Sends one request; answers the response if it is 2xx, else throws the daemon's error. */
  async #request(path: string, request: RequestOptions = {}): Promise<Response> {
    const url = new URL(this.url + path);
    for (const [key, value] of Object.entries(request.query ?? {}))
      if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}` };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, {
        method: request.method ?? 'GET',
        headers,
        ...(request.body !== undefined && { body: JSON.stringify(request.body) }),
        ...(request.signal && { signal: request.signal }),
      });
    } catch (err) {
      if (request.signal?.aborted) throw request.signal.reason;
      // fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND…) is its cause.
      const cause = (err as Error).cause ?? err;
      if (cause instanceof Error && cause.message === 'bad port')
        throw new DaemonUnreachableError(this.url, new Error(`fetch refuses port ${url.port} (a blocked port)`));
      throw new DaemonUnreachableError(this.url, cause);
    }
    if (!res.ok) throw await errorOf(res, this.url);
    return res;
  }
}

function executionPath(id: string, sub?: string): string {
  return `/api/v1/executions/${encodeURIComponent(id)}` + (sub ? `/${sub}` : '');
}

async function readText(res: Response, url: string): Promise<string> {
  try {
    return await res.text();
  } catch (err) {
    throw new DaemonUnreachableError(url, err);
  }
}

async function readJson(res: Response, url: string): Promise<unknown> {
  const text = await readText(res, url);
  try {
    return JSON.parse(text);
  } catch {
    throw new WeftError('INTERNAL', `The daemon at ${url} answered ${res.status} with a body that is not JSON`, {
      status: res.status,
    });
  }
}

/** The daemon's `{ error: { code, message, context } }` as a WeftError with the same code. */
async function errorOf(res: Response, url: string): Promise<WeftError> {
  const text = await readText(res, url);
  try {
    const { error } = JSON.parse(text) as { error?: Partial<ErrorView> };
    if (error && typeof error.code === 'string' && typeof error.message === 'string')
      return new WeftError(error.code, error.message, error.context ?? {});
  } catch {
    // Not a weft error body (a proxy in between?): described below from the status.
  }
  // INTERNAL is the daemon's own code for anything without one (see http-errors.ts).
  return new WeftError('INTERNAL', `HTTP ${res.status} from ${url}: ${text.slice(0, 200)}`, {
    status: res.status,
  });
}

interface ServerSentEvent {
  event: string;
  data: string;
}

/** Parses a `text/event-stream` body into its events (fields `event` and `data`; comments skipped). */
export async function* serverSentEvents(body: AsyncIterable<Uint8Array>): AsyncIterable<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    // A CR at the end of a chunk may be the first half of a CRLF: it waits for the next chunk.
    buffer = (buffer + decoder.decode(chunk, { stream: true })).replace(/\r\n|\r(?=[^\n])/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = parseEvent(block);
      if (event) yield event;
    }
  }
}

function parseEvent(block: string): ServerSentEvent | undefined {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length > 0 || event !== 'message' ? { event, data: data.join('\n') } : undefined;
}
