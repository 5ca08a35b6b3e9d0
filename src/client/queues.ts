import { WeftError } from '../errors.js';
import type { QueueElementStatus } from '../queues.js';
import { pathPart, readJson, type Requester } from './http.js';

export type { QueueElementStatus } from '../queues.js';

/** A queue element as the API answers it; times are ISO strings, data is JSON. */
export interface QueueElementView {
  id: string;
  queue: string;
  reference?: string;
  data?: unknown;
  status: QueueElementStatus;
  message?: string;
  createdBy: string;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
}

export interface QueueElementInputView {
  reference?: string;
  data?: unknown;
  createdBy?: string;
}

/**
 * The optional `requestId` of every call that changes a queue: a repeat with the same id
 * answers the first outcome and changes nothing (so a retry after a timeout is safe). The
 * client sends it as given and never makes one up: it does not retry on its own.
 */
export interface QueueRequestView {
  /** 1–256 characters, no control characters. */
  requestId?: string;
}

export interface QueueNextView extends QueueRequestView {
  /** Only an element with this reference. */
  reference?: string;
  /** `false` only peeks. @default true */
  claim?: boolean;
}

export interface QueueSummaryView {
  queue: string;
  counts: Record<QueueElementStatus, number>;
}

/** `/api/v1/queues` and `/api/v1/queue-elements`: work queues. */
export class QueuesClient {
  readonly #http: Requester;

  constructor(http: Requester) {
    this.#http = http;
  }

  /** Every queue with its element counts by status. */
  async queues(): Promise<QueueSummaryView[]> {
    return (await this.#http.json<{ items: QueueSummaryView[] }>('/api/v1/queues')).items;
  }

  create(queue: string, element: QueueElementInputView & QueueRequestView = {}): Promise<QueueElementView> {
    return this.#http.json(`/api/v1/queues/${pathPart(queue)}/elements`, { method: 'POST', body: element });
  }

  /** Up to 10,000 elements in one atomic batch. */
  async bulkCreate(
    queue: string,
    elements: QueueElementInputView[],
    options: QueueRequestView = {},
  ): Promise<QueueElementView[]> {
    const path = `/api/v1/queues/${pathPart(queue)}/elements/bulk`;
    const body = { elements, ...requestIdOf(options) };
    return (await this.#http.json<{ items: QueueElementView[] }>(path, { method: 'POST', body })).items;
  }

  /** Claims the oldest NEW element (or only peeks with `claim: false`); `undefined` when there is none. */
  async next(queue: string, options: QueueNextView = {}): Promise<QueueElementView | undefined> {
    const res = await this.#http.request(`/api/v1/queues/${pathPart(queue)}/next`, { method: 'POST', body: options });
    if (res.status === 204) return undefined;
    return (await readJson(res, this.#http.url)) as QueueElementView;
  }

  /** Newest first. */
  async list(
    queue: string,
    options: { reference?: string; status?: QueueElementStatus; offset?: number; limit?: number } = {},
  ): Promise<QueueElementView[]> {
    const path = `/api/v1/queues/${pathPart(queue)}/elements`;
    return (await this.#http.json<{ items: QueueElementView[] }>(path, { query: options })).items;
  }

  get(id: string): Promise<QueueElementView> {
    return this.#http.json(`/api/v1/queue-elements/${pathPart(id)}`);
  }

  setStatus(
    id: string,
    status: QueueElementStatus,
    message?: string,
    options: QueueRequestView = {},
  ): Promise<QueueElementView> {
    return this.#http.json(`/api/v1/queue-elements/${pathPart(id)}`, {
      method: 'PATCH',
      body: { status, ...(message !== undefined && { message }), ...requestIdOf(options) },
    });
  }

  /** Answers whether there was such an element (with a requestId, a repeat answers the same). */
  async delete(id: string, options: QueueRequestView = {}): Promise<boolean> {
    try {
      await this.#http.json(`/api/v1/queue-elements/${pathPart(id)}`, {
        method: 'DELETE',
        query: { requestId: options.requestId },
      });
      return true;
    } catch (err) {
      if (err instanceof WeftError && err.code === 'QUEUE_ELEMENT_NOT_FOUND') return false;
      throw err;
    }
  }
}

/** `{ requestId }` when one is given, else nothing (an explicit `undefined` is left out). */
function requestIdOf({ requestId }: QueueRequestView): QueueRequestView {
  return requestId === undefined ? {} : { requestId };
}
