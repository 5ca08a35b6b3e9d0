/**
 * A typed client of the weft daemon's HTTP API (`/api/v1`), over Node's `fetch`. Error
 * bodies come back as {@link WeftError}s with the daemon's code; a daemon that cannot be
 * reached as DAEMON_UNREACHABLE.
 */
import type { ExecutionStatus, HistoryEvent } from '../../actors/execution/history.js';
import type { LogLine } from '../executions/execution-log.js';
import { DaemonUnreachableError, type WeftError } from '../errors.js';
import { eventError, pathPart, readJson, Requester, serverSentEvents } from './http.js';
import { LocksClient } from './locks.js';
import { LogsClient } from './logs.js';
import { QueuesClient } from './queues.js';
import { SecretsClient } from './secrets.js';
import { TriggersClient } from './triggers.js';
import { SettingsClient } from './settings.js';
import type {
  ExecutionPageView,
  ExecutionView,
  LogLevel,
  ProfileView,
  ResultView,
  TaskView,
  WeftClientOptions,
} from './views.js';

export type * from './views.js';
export type { QueueElementView, QueueElementInputView, QueueSummaryView } from './queues.js';
export type { ConstantView, ConstantPageView, CredentialView, CredentialSecretView, RotateKeyView } from './secrets.js';
export type { TriggerView, TriggerRunView, CronTriggerBody, QueueTriggerBody } from './triggers.js';
export type { TimeInput, LogQueryOptions, LogPageView } from './logs.js';
export { serverSentEvents } from './http.js';

/**
 * @example
 * const client = new WeftClient({ url: 'http://127.0.0.1:7420', token });
 * const { id } = await client.start('basic', [1, 5]);
 * const execution = await client.waitResult(id);
 */
export class WeftClient {
  /** Settings, as Cloudomation's API: by id, or by name with `{ by: 'name' }`. */
  readonly settings: SettingsClient;
  /** Locks held from outside workflows, as leases. */
  readonly locks: LocksClient;
  /** Work queues. */
  readonly queues: QueuesClient;
  /** Constants and credentials (`secrets.constants`, `secrets.credentials`). */
  readonly secrets: SecretsClient;
  /** Cron schedules and queue triggers. */
  readonly triggers: TriggersClient;
  /** Logs across executions. */
  readonly logQuery: LogsClient;
  readonly #http: Requester;

  constructor(options: WeftClientOptions) {
    this.#http = new Requester(options.url, options.token);
    this.settings = new SettingsClient(this.#http);
    this.locks = new LocksClient(this.#http);
    this.queues = new QueuesClient(this.#http);
    this.secrets = new SecretsClient(this.#http);
    this.triggers = new TriggersClient(this.#http);
    this.logQuery = new LogsClient(this.#http);
  }

  /** The daemon's base URL. */
  get url(): string {
    return this.#http.url;
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
    const res = await this.#http.request('/api/v1/executions', { method: 'POST', body });
    const view = (await readJson(res, this.url)) as { id: string; status: ExecutionStatus };
    return { ...view, created: res.status === 201 };
  }

  get(id: string): Promise<ExecutionView> {
    return this.#http.json(executionPath(id));
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
    return this.#http.json('/api/v1/executions', {
      query: { ...rest, since: since instanceof Date ? since.toISOString() : since },
    });
  }

  async history(id: string): Promise<HistoryEvent[]> {
    return (await this.#http.json<{ items: HistoryEvent[] }>(executionPath(id, 'history'))).items;
  }

  async tasks(id: string): Promise<TaskView[]> {
    return (await this.#http.json<{ items: TaskView[] }>(executionPath(id, 'tasks'))).items;
  }

  profile(id: string): Promise<ProfileView> {
    return this.#http.json(executionPath(id, 'profile'));
  }

  async logs(id: string, options: { level?: LogLevel; limit?: number } = {}): Promise<LogLine[]> {
    return (await this.#http.json<{ items: LogLine[] }>(executionPath(id, 'logs'), { query: options })).items;
  }

  /** The execution's stored log lines, then live ones as they are written; ends when the execution ends. */
  async *followLogs(id: string, options: { level?: LogLevel; signal?: AbortSignal } = {}): AsyncIterable<LogLine> {
    const res = await this.#http.request(executionPath(id, 'logs'), {
      query: { level: options.level, follow: 1 },
      ...(options.signal && { signal: options.signal }),
    });
    if (!res.body) return;
    let failure: WeftError | undefined;
    try {
      for await (const event of serverSentEvents(res.body)) {
        if (event.event === 'end') return;
        if (event.event === 'log') yield JSON.parse(event.data) as LogLine;
        else if (event.event === 'error') {
          // The daemon could not go on (READER_TOO_SLOW, the store failed): not an end.
          failure = eventError(event.data);
          break;
        }
      }
    } catch (err) {
      throw options.signal?.aborted ? options.signal.reason : new DaemonUnreachableError(this.url, err);
    }
    if (failure) throw failure;
  }

  async signal(id: string, name: string, payload?: unknown): Promise<void> {
    await this.#http.json(executionPath(id, 'signals'), {
      method: 'POST',
      body: { name, ...(payload !== undefined && { payload }) },
    });
  }

  cancel(id: string, reason?: string): Promise<{ id: string; cancelled: boolean; status: ExecutionStatus }> {
    return this.#http.json(executionPath(id, 'cancel'), {
      method: 'POST',
      body: reason === undefined ? {} : { reason },
    });
  }

  /** One long-poll: waits up to `timeoutMs` (daemon default 30 s) for the execution to end. */
  async result(id: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ResultView> {
    const res = await this.#http.request(executionPath(id, 'result'), {
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
    return this.#http.json('/health');
  }

  /** Prometheus text format. */
  metrics(): Promise<string> {
    return this.#http.text('/metrics');
  }
}

function executionPath(id: string, sub?: string): string {
  return `/api/v1/executions/${pathPart(id)}` + (sub ? `/${sub}` : '');
}
