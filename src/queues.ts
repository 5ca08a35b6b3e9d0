import { createHash, randomUUID } from 'node:crypto';
import type { RegistryActor } from '../actors/registry.js';
import type {
  NewQueueElement,
  Probed,
  QueueCounts,
  QueueCreateAnswer,
  QueueElementRecord,
  QueueStatus,
  QueueStoreRead,
} from '../actors/registry/messages.js';
import { deletedKey, listPrefix, prefixRange } from '../actors/registry/queue-keys.js';
import { ask } from './ask.js';
import { InvalidArgumentError, QueueElementNotFoundError, RuntimeClosedError, WeftError } from './errors.js';
import { assertName } from './names.js';
import type { ServiceContext } from './services.js';
import { decodeValue, encodeValue } from './store/codec.js';

export type QueueElementStatus = QueueStatus;
export const QUEUE_ELEMENT_STATUSES: readonly QueueElementStatus[] = ['NEW', 'IN_PROGRESS', 'DONE', 'FAILED'];

/** A queue element as read: data decoded afresh on every read. */
export interface QueueElement<T = unknown> {
  id: string;
  queue: string;
  reference?: string;
  data?: T;
  status: QueueElementStatus;
  message?: string;
  createdBy: string;
  createdAt: Date;
  /** When it was last set IN_PROGRESS. */
  startedAt?: Date;
  /** When it was last set DONE or FAILED. */
  endedAt?: Date;
}

export interface QueueElementInput<T = unknown> {
  /** Free text (1–256 characters, no control characters) to find or claim the element by. */
  reference?: string;
  /** Any superjson value. */
  data?: T;
  /** Who created it. @default 'api' */
  createdBy?: string;
}

export interface QueueRequestOptions {
  /**
   * Makes the call idempotent: sent again with the same id (after a crash, say), it answers
   * the same outcome and changes nothing twice. A workflow's queue steps pass one.
   */
  requestId?: string;
}

export interface QueueNextOptions extends QueueRequestOptions {
  /** Only an element with this reference. */
  reference?: string;
  /** Mark the element IN_PROGRESS; `false` only peeks. @default true */
  claim?: boolean;
}

export interface QueueListOptions {
  reference?: string;
  status?: QueueElementStatus;
  /** Elements to skip, newest first. @default 0 */
  offset?: number;
  /** 1–1000. @default 100 */
  limit?: number;
}

export interface QueueSummary {
  queue: string;
  counts: Record<QueueElementStatus, number>;
}

/** The most elements one bulkCreate writes (in one atomic batch). */
export const MAX_BULK = 100_000;
/** The longest status message, in characters. */
export const MAX_MESSAGE = 65_536;

/**
 * Work queues, as OpenOrchestrator's: elements created one at a time or in bulk, claimed
 * oldest first (optionally by reference), and marked DONE or FAILED with a message. Changes
 * are messages to the registry actor; lists read the store's indexes, newest first.
 *
 * @example
 * await rt.queues.bulkCreate('invoices', [{ reference: 'INV-1', data: { amount: 10 } }]);
 * const element = await rt.queues.next('invoices');
 * if (element) await rt.queues.setStatus(element.id, 'DONE', 'paid');
 */
export class Queues {
  readonly #ctx: ServiceContext;

  /** @internal */
  constructor(ctx: ServiceContext) {
    this.#ctx = ctx;
  }

  /**
   * Adds one element at the end of the queue. With a `requestId` sent again, answers the
   * element that request created, as it stands now; QUEUE_ELEMENT_NOT_FOUND (naming its id)
   * if that element was deleted since: the request is not applied twice.
   */
  async create<T>(queue: string, element: QueueElementInput<T> & QueueRequestOptions = {}): Promise<QueueElement<T>> {
    const { requestId } = element;
    const [created] = await this.#create<T>(queue, [element], requestId);
    if (created) return created;
    // Only a repeat answers nothing (its element is gone), and a repeat has a requestId.
    throw new QueueElementNotFoundError(derivedId(queue, requestId as string, 0), requestId);
  }

  /**
   * Adds many elements in one atomic batch: after a crash, all of them are there or none.
   * With a `requestId` sent again, answers the elements that request created, as they stand
   * now, in their order: those deleted since are left out (all of them deleted: `[]`).
   */
  bulkCreate<T>(
    queue: string,
    elements: Array<QueueElementInput<T>>,
    options: QueueRequestOptions = {},
  ): Promise<Array<QueueElement<T>>> {
    if (!Array.isArray(elements)) return Promise.reject(new InvalidArgumentError('elements', 'it must be a list'));
    if (elements.length > MAX_BULK)
      return Promise.reject(new InvalidArgumentError('elements', `at most ${MAX_BULK} in one call`));
    return this.#create<T>(queue, elements, options.requestId);
  }

  /**
   * The oldest NEW element (with `reference`, if given), claimed: marked IN_PROGRESS in the
   * same step, so no two callers get the same one. `undefined` when there is none.
   */
  async next<T = unknown>(queue: string, options: QueueNextOptions = {}): Promise<QueueElement<T> | undefined> {
    assertName('queue name', queue);
    const { reference, claim = true, requestId } = options;
    if (reference !== undefined) assertText('reference', reference, 256);
    if (typeof claim !== 'boolean') throw new InvalidArgumentError('claim', 'it must be true or false');
    if (requestId !== undefined) assertText('requestId', requestId, 256);
    const actor = this.#actor();
    const record = await ask<QueueElementRecord | undefined>((reply) =>
      actor.send({
        type: 'queue.next',
        queue,
        claim,
        reply,
        ...(reference !== undefined && { reference }),
        ...(requestId !== undefined && { requestId }),
      }),
    );
    return record && toElement<T>(record);
  }

  /** A page of the queue's elements, newest first; its cost grows with offset + limit, not with the queue. */
  async list<T = unknown>(queue: string, options: QueueListOptions = {}): Promise<Array<QueueElement<T>>> {
    assertName('queue name', queue);
    const { reference, status, offset = 0, limit = 100 } = options;
    if (reference !== undefined) assertText('reference', reference, 256);
    if (status !== undefined) assertStatus(status);
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new InvalidArgumentError('offset', 'it must be a whole number, 0 or more');
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new InvalidArgumentError('limit', 'it must be an integer from 1 to 1000');
    this.#actor();
    const { journal } = this.#ctx;
    await journal.applied();
    const entries = await journal.store.range('queue-index', {
      ...prefixRange(listPrefix(queue, reference, status)),
      reverse: true,
      limit: offset + limit,
    });
    const jsons = await Promise.all(entries.slice(offset).map(([, id]) => journal.store.get('queue-elements', id)));
    const records = jsons.flatMap((json) => (json === undefined ? [] : [JSON.parse(json) as QueueElementRecord]));
    // An element may change between reading the index and reading it: keep what still matches.
    return records.filter((r) => status === undefined || r.status === status).map((r) => toElement<T>(r));
  }

  /** One element by id; QUEUE_ELEMENT_NOT_FOUND if there is none. */
  async get<T = unknown>(id: string): Promise<QueueElement<T>> {
    assertText('id', id, 256);
    const actor = this.#actor();
    const record = await this.#probing<QueueElementRecord | undefined>(id, false, (read) =>
      ask((reply) => actor.send({ type: 'queue.get', id, reply, ...(read && { read }) })),
    );
    if (!record) throw new QueueElementNotFoundError(id);
    return toElement<T>(record);
  }

  /**
   * Sets the element's status and message (the message is replaced; none clears it).
   * IN_PROGRESS stamps `startedAt`, DONE and FAILED stamp `endedAt`; NEW puts it back in line
   * in its original place. QUEUE_ELEMENT_NOT_FOUND if there is no such element.
   */
  async setStatus<T = unknown>(
    id: string,
    status: QueueElementStatus,
    message?: string,
    options: QueueRequestOptions = {},
  ): Promise<QueueElement<T>> {
    assertText('id', id, 256);
    assertStatus(status);
    if (message !== undefined && (typeof message !== 'string' || message.length > MAX_MESSAGE))
      throw new InvalidArgumentError('message', `it must be a string of at most ${MAX_MESSAGE} characters`);
    const { requestId } = options;
    if (requestId !== undefined) assertText('requestId', requestId, 256);
    const actor = this.#actor();
    const record = await this.#probing<QueueElementRecord | undefined>(id, false, (read) =>
      ask((reply) =>
        actor.send({
          type: 'queue.setStatus',
          id,
          status,
          reply,
          ...(message !== undefined && { message }),
          ...(requestId !== undefined && { requestId }),
          ...(read && { read }),
        }),
      ),
    );
    if (!record) throw new QueueElementNotFoundError(id);
    return toElement<T>(record);
  }

  /** Deletes the element; answers whether there was one (with a requestId, a repeat answers the same). */
  async delete(id: string, options: QueueRequestOptions = {}): Promise<boolean> {
    assertText('id', id, 256);
    const { requestId } = options;
    if (requestId !== undefined) assertText('requestId', requestId, 256);
    const actor = this.#actor();
    return this.#probing<boolean>(id, requestId !== undefined, (read) =>
      ask((reply) =>
        actor.send({
          type: 'queue.delete',
          id,
          reply,
          ...(requestId !== undefined && { requestId }),
          ...(read && { read }),
        }),
      ),
    );
  }

  /** Every queue with its element counts by status, by name (kept as counters: no store read). */
  async queues(): Promise<QueueSummary[]> {
    const actor = this.#actor();
    const items = await ask<QueueCounts[]>((reply) => actor.send({ type: 'queue.counts', reply }));
    return items.map(({ queue, counts }) => ({ queue, counts: { ...counts } }));
  }

  /**
   * Calls `listener` after new elements in `queue`, or elements set back to NEW, are committed
   * (at most once per journal batch, so claim with `next` until it answers `undefined`).
   * Answers the unsubscribe function.
   */
  watch(queue: string, listener: () => void): () => void {
    assertName('queue name', queue);
    if (typeof listener !== 'function') throw new InvalidArgumentError('listener', 'it must be a function');
    const { registry, logger } = this.#ctx;
    const subscription = registry.on('queue.created', (event) => {
      if (event.queue !== queue) return;
      try {
        listener();
      } catch (err) {
        logger.error({ err, queue }, 'a queue watcher threw');
      }
    });
    return () => subscription.unsubscribe();
  }

  async #create<T>(
    queue: string,
    inputs: Array<QueueElementInput<T>>,
    requestId: string | undefined,
  ): Promise<Array<QueueElement<T>>> {
    assertName('queue name', queue);
    if (requestId !== undefined) assertText('requestId', requestId, 256);
    const elements = inputs.map((input, i) => newElement(input, i, queue, requestId));
    if (elements.length === 0) return [];
    const actor = this.#actor();
    const first = (elements[0] as NewQueueElement).id;
    let read: QueueStoreRead | undefined;
    for (;;) {
      const answer = await ask<QueueCreateAnswer>((reply) =>
        actor.send({
          type: 'queue.create',
          queue,
          elements,
          reply,
          ...(requestId !== undefined && { requestId }),
          ...(read && { read }),
        }),
      );
      if (answer.kind === 'created') return answer.records.map((r) => toElement<T>(r));
      if (answer.kind === 'repeat') return this.#existing<T>(elements.map((e) => e.id));
      read = await this.#read(first, true);
    }
  }

  /** The elements a repeated create made the first time, as they stand now (deleted ones left out). */
  async #existing<T>(ids: string[]): Promise<Array<QueueElement<T>>> {
    const found = await Promise.all(
      ids.map((id) =>
        this.get<T>(id).catch((err: unknown) => {
          if (err instanceof WeftError && err.code === 'QUEUE_ELEMENT_NOT_FOUND') return undefined;
          throw err;
        }),
      ),
    );
    return found.filter((e): e is QueueElement<T> => e !== undefined);
  }

  /** Asks the actor; when the element lives only in the store, reads it there and asks again. */
  async #probing<T>(id: string, tombstone: boolean, send: (read?: QueueStoreRead) => Promise<Probed<T>>): Promise<T> {
    let read: QueueStoreRead | undefined;
    for (;;) {
      const answer = await send(read);
      if (answer.kind === 'done') return answer.value;
      read = await this.#read(id, tombstone);
    }
  }

  /** Reads an element from the store once everything committed so far is applied there. */
  async #read(id: string, tombstone: boolean): Promise<QueueStoreRead> {
    const { journal } = this.#ctx;
    // Taken before waiting: the store then holds at least every batch up to it.
    const seq = journal.committedSeq;
    await journal.applied();
    const [json, deletedBy] = await Promise.all([
      journal.store.get('queue-elements', id),
      tombstone ? journal.store.get('queue-index', deletedKey(id)) : undefined,
    ]);
    return {
      seq,
      ...(json !== undefined && { record: JSON.parse(json) as QueueElementRecord }),
      ...(deletedBy !== undefined && { deletedBy }),
    };
  }

  #actor(): RegistryActor {
    const { registry } = this.#ctx;
    if (registry.getSnapshot().status !== 'active') throw new RuntimeClosedError();
    return registry;
  }
}

/** Builds the queues of a runtime (the registry actor holds their working set). */
export function openQueues(ctx: ServiceContext): Promise<Queues> {
  return Promise.resolve(new Queues(ctx));
}

function newElement<T>(
  input: QueueElementInput<T>,
  index: number,
  queue: string,
  requestId: string | undefined,
): NewQueueElement {
  if (typeof input !== 'object' || input === null)
    throw new InvalidArgumentError(`elements[${index}]`, 'it must be { reference?, data?, createdBy? }');
  const { reference, data, createdBy = 'api' } = input;
  if (reference !== undefined) assertText('reference', reference, 256);
  assertText('createdBy', createdBy, 256);
  return {
    id: requestId === undefined ? randomUUID() : derivedId(queue, requestId, index),
    createdBy,
    ...(reference !== undefined && { reference }),
    ...(data !== undefined && { data: encodeValue(data) }),
  };
}

/** The id of the `index`-th element a request creates: the same request re-sent finds the same ids. */
function derivedId(queue: string, requestId: string, index: number): string {
  const h = createHash('sha256').update(`${queue}\u0000${requestId}\u0000${index}`).digest('hex');
  // UUID form, version 8 (custom), RFC variant.
  const variant = ((parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Free text in store keys and messages: no control characters (they separate index keys). */
const TEXT = /^[^\u0000-\u001f\u007f]+$/;

function assertText(what: string, value: unknown, max: number): asserts value is string {
  if (typeof value !== 'string' || value.length > max || !TEXT.test(value))
    throw new InvalidArgumentError(what, `it must be 1–${max} characters with no control characters`);
}

function assertStatus(status: unknown): asserts status is QueueElementStatus {
  if (!QUEUE_ELEMENT_STATUSES.includes(status as QueueElementStatus))
    throw new InvalidArgumentError('status', `it must be one of ${QUEUE_ELEMENT_STATUSES.join(', ')}`);
}

/** @internal */
export function toElement<T>(r: QueueElementRecord): QueueElement<T> {
  return {
    id: r.id,
    queue: r.queue,
    ...(r.reference !== undefined && { reference: r.reference }),
    ...(r.data !== undefined && { data: decodeValue<T>(r.data) }),
    status: r.status,
    ...(r.message !== undefined && { message: r.message }),
    createdBy: r.createdBy,
    createdAt: new Date(r.createdAt),
    ...(r.startedAt !== undefined && { startedAt: new Date(r.startedAt) }),
    ...(r.endedAt !== undefined && { endedAt: new Date(r.endedAt) }),
  };
}
