/** `/api/v1/queues` and `/api/v1/queue-elements`: work queues, as OpenOrchestrator's. */
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import { InvalidRequestError, QueueElementNotFoundError } from '../../errors.js';
import type { QueueElement, QueueElementStatus } from '../../queues.js';
import type { QueueElementInputView, QueueElementView, QueueNextView, QueueRequestView } from '../../client/queues.js';
import type { Runtime } from '../../runtime.js';
import {
  bulkCreateBody,
  createElementBody,
  deleteElementQuery,
  idempotencyHeaders,
  listElementsQuery,
  nextBody,
  queueElementViewSchema,
  queueParams,
  queueSummarySchema,
  setStatusBody,
} from '../queue-schemas.js';
import { errorResponses, idParams, itemsOf } from '../schemas.js';
import { jsonValue } from '../views.js';

const tags = ['queues'];

export function queueElementView(e: QueueElement): QueueElementView {
  const data = jsonValue(e.data);
  return {
    id: e.id,
    queue: e.queue,
    ...(e.reference !== undefined && { reference: e.reference }),
    ...(data !== undefined && { data }),
    status: e.status,
    ...(e.message !== undefined && { message: e.message }),
    createdBy: e.createdBy,
    createdAt: e.createdAt.toISOString(),
    ...(e.startedAt && { startedAt: e.startedAt.toISOString() }),
    ...(e.endedAt && { endedAt: e.endedAt.toISOString() }),
  };
}

interface QueueRequest {
  Params: { queue: string };
}

interface IdRequest {
  Params: { id: string };
}

interface IdempotencyHeaders {
  'idempotency-key'?: string;
}

/** A route that changes a queue: it takes a requestId, or the Idempotency-Key header. */
interface Idempotent {
  Headers: IdempotencyHeaders;
}

/**
 * The request's requestId: from the body (or, for DELETE, the query) or the Idempotency-Key
 * header, as `{ requestId }` to spread into the runtime's options. Both given and different
 * is a mistake the client should hear of, not a choice the daemon makes for it.
 */
function requestIdOf(request: FastifyRequest<Idempotent>, given: string | undefined): QueueRequestView {
  const header = request.headers['idempotency-key'];
  if (given !== undefined && header !== undefined && given !== header)
    throw new InvalidRequestError('requestId and the Idempotency-Key header differ; send one, or the same in both', {
      field: 'requestId',
    });
  const requestId = given ?? header;
  return requestId === undefined ? {} : { requestId };
}

export const queueRoutes: FastifyPluginCallback<{ rt: Runtime; closing: AbortSignal }> = (app, { rt }, done) => {
  app.get(
    '/queues',
    {
      schema: {
        tags,
        summary: 'Every queue with its element counts by status',
        response: { 200: itemsOf(queueSummarySchema), ...errorResponses },
      },
    },
    async () => ({ items: await rt.queues.queues() }),
  );

  app.post<QueueRequest & Idempotent & { Body: (QueueElementInputView & QueueRequestView) | null | undefined }>(
    '/queues/:queue/elements',
    {
      schema: {
        tags,
        summary: 'Add an element at the end of the queue',
        params: queueParams,
        headers: idempotencyHeaders,
        body: createElementBody,
        response: { 201: queueElementViewSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { requestId, ...input } = request.body ?? {};
      const element = await rt.queues.create(request.params.queue, { ...input, ...requestIdOf(request, requestId) });
      return reply.status(201).send(queueElementView(element));
    },
  );

  app.post<QueueRequest & Idempotent & { Body: { elements: QueueElementInputView[] } & QueueRequestView }>(
    '/queues/:queue/elements/bulk',
    {
      schema: {
        tags,
        summary: 'Add up to 10,000 elements in one atomic batch: all of them or none',
        params: queueParams,
        headers: idempotencyHeaders,
        body: bulkCreateBody,
        response: { 201: itemsOf(queueElementViewSchema), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { elements: inputs, requestId } = request.body;
      const elements = await rt.queues.bulkCreate(request.params.queue, inputs, requestIdOf(request, requestId));
      return reply.status(201).send({ items: elements.map(queueElementView) });
    },
  );

  app.post<QueueRequest & Idempotent & { Body: QueueNextView | null | undefined }>(
    '/queues/:queue/next',
    {
      schema: {
        tags,
        summary: 'Claim the oldest NEW element (IN_PROGRESS), or peek with claim: false; 204 when there is none',
        params: queueParams,
        headers: idempotencyHeaders,
        body: nextBody,
        response: { 200: queueElementViewSchema, 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { reference, claim = true, requestId } = request.body ?? {};
      const element = await rt.queues.next(request.params.queue, {
        claim,
        ...(reference !== undefined && { reference }),
        ...requestIdOf(request, requestId),
      });
      if (!element) return reply.status(204).send();
      return queueElementView(element);
    },
  );

  app.get<
    QueueRequest & { Querystring: { reference?: string; status?: QueueElementStatus; offset: number; limit: number } }
  >(
    '/queues/:queue/elements',
    {
      schema: {
        tags,
        summary: 'List the elements of a queue, newest first, by reference and status',
        params: queueParams,
        querystring: listElementsQuery,
        response: { 200: itemsOf(queueElementViewSchema), ...errorResponses },
      },
    },
    async (request) => ({ items: (await rt.queues.list(request.params.queue, request.query)).map(queueElementView) }),
  );

  app.get<IdRequest>(
    '/queue-elements/:id',
    {
      schema: {
        tags,
        summary: 'Read an element',
        params: idParams,
        response: { 200: queueElementViewSchema, ...errorResponses },
      },
    },
    async (request) => queueElementView(await rt.queues.get(request.params.id)),
  );

  app.patch<IdRequest & Idempotent & { Body: { status: QueueElementStatus; message?: string } & QueueRequestView }>(
    '/queue-elements/:id',
    {
      schema: {
        tags,
        summary: "Set an element's status and message (IN_PROGRESS stamps startedAt, DONE and FAILED endedAt)",
        params: idParams,
        headers: idempotencyHeaders,
        body: setStatusBody,
        response: { 200: queueElementViewSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { status, message, requestId } = request.body;
      const options = requestIdOf(request, requestId);
      return queueElementView(await rt.queues.setStatus(request.params.id, status, message, options));
    },
  );

  app.delete<IdRequest & Idempotent & { Querystring: QueueRequestView }>(
    '/queue-elements/:id',
    {
      schema: {
        tags,
        summary: 'Delete an element (with a requestId, a repeat answers 200 again)',
        params: idParams,
        headers: idempotencyHeaders,
        querystring: deleteElementQuery,
        response: {
          200: { type: 'object', properties: { deleted: { type: 'boolean' } }, required: ['deleted'] },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (!(await rt.queues.delete(id, requestIdOf(request, request.query.requestId))))
        throw new QueueElementNotFoundError(id);
      return { deleted: true };
    },
  );
  done();
};
