import { pathPart, type Requester } from './http.js';

/** A trigger as the API answers it: times as ISO strings; the fields of the other kind are absent. */
export interface TriggerView {
  kind: 'cron' | 'queue';
  name: string;
  workflow: string;
  paused: boolean;
  createdAt: string;
  updatedAt: string;
  /** Executions it started that have not ended. */
  running: string[];
  cron?: string;
  timezone?: string;
  input?: { args: unknown[]; kwargs?: Record<string, unknown> };
  overlap?: 'skip' | 'allow';
  catchUp?: 'none' | 'latest' | 'all';
  nextAt?: string;
  lastFiredAt?: string;
  lastExecutionId?: string;
  queue?: string;
  concurrency?: number;
  claimed?: string[];
}

/** One fire: a cron run started, skipped, missed or failed to start, or a queue element's outcome. */
export interface TriggerRunView {
  at: string;
  outcome: 'started' | 'skipped' | 'missed' | 'error' | 'DONE' | 'FAILED';
  executionId?: string;
  elementId?: string;
  detail?: string;
}

export interface CronTriggerBody {
  kind: 'cron';
  name: string;
  workflow: string;
  cron: string;
  timezone?: string;
  input?: { args?: unknown[]; kwargs?: Record<string, unknown> };
  overlap?: 'skip' | 'allow';
  catchUp?: 'none' | 'latest' | 'all';
  paused?: boolean;
}

export interface QueueTriggerBody {
  kind: 'queue';
  name: string;
  workflow: string;
  queue: string;
  concurrency?: number;
  paused?: boolean;
}

/** `/api/v1/triggers`: cron schedules and queue triggers. */
export class TriggersClient {
  readonly #http: Requester;

  constructor(http: Requester) {
    this.#http = http;
  }

  async list(): Promise<TriggerView[]> {
    return (await this.#http.json<{ items: TriggerView[] }>('/api/v1/triggers')).items;
  }

  get(name: string): Promise<TriggerView> {
    return this.#http.json(`/api/v1/triggers/${pathPart(name)}`);
  }

  /** Its latest fires (at most 20), newest first. */
  async runs(name: string): Promise<TriggerRunView[]> {
    return (await this.#http.json<{ items: TriggerRunView[] }>(`/api/v1/triggers/${pathPart(name)}/runs`)).items;
  }

  create(trigger: CronTriggerBody | QueueTriggerBody): Promise<TriggerView> {
    return this.#http.json('/api/v1/triggers', { method: 'POST', body: trigger });
  }

  pause(name: string): Promise<TriggerView> {
    return this.#http.json(`/api/v1/triggers/${pathPart(name)}/pause`, { method: 'POST' });
  }

  resume(name: string): Promise<TriggerView> {
    return this.#http.json(`/api/v1/triggers/${pathPart(name)}/resume`, { method: 'POST' });
  }

  /** TRIGGER_NOT_FOUND if there is none. */
  async delete(name: string): Promise<void> {
    await this.#http.json(`/api/v1/triggers/${pathPart(name)}`, { method: 'DELETE' });
  }
}
