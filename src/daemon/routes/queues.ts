/** `/api/v1/queues` and `/api/v1/queue-elements`: work queues, as OpenOrchestrator's. */
import type { FastifyPluginCallback } from 'fastify';
import { QueueElementNotFoundError } from '../../errors.js';
import type { QueueElement, QueueElementInput, QueueElementStatus } from '../../queues.js';
import type { QueueElementView } from '../../client/queues.js';
import type { Runtime } from '../../runtime.js';
import {
  bulkCreateBody,
  createElementBody,
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

  app.post<QueueRequest & { Body: QueueElementInput | null | undefined }>(
    '/queues/:queue/elements',
    {
      schema: {
        tags,
        summary: 'Add an element at the end of the queue',
        params: queueParams,
        body: createElementBody,
        response: { 201: queueElementViewSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const element = await rt.queues.create(request.params.queue, request.body ?? {});
      return reply.status(201).send(queueElementView(element));
    },
  );

  app.post<QueueRequest & { Body: { elements: QueueElementInput[] } }>(
    '/queues/:queue/elements/bulk',
    {
      schema: {
        tags,
        summary: 'Add up to 10,000 elements in one atomic batch: all of them or none',
        params: queueParams,
        body: bulkCreateBody,
        response: { 201: itemsOf(queueElementViewSchema), ...errorResponses },
      },
    },
    async (request, reply) => {
      const elements = await rt.queues.bulkCreate(request.params.queue, request.body.elements);
      return reply.status(201).send({ items: elements.map(queueElementView) });
    },
  );

  app.post<QueueRequest & { Body: { reference?: string; claim?: boolean } | null | undefined }>(
    '/queues/:queue/next',
    {
      schema: {
        tags,
        summary: 'Claim the oldest NEW element (IN_PROGRESS), or peek with claim: false; 204 when there is none',
        params: queueParams,
        body: nextBody,
        response: { 200: queueElementViewSchema, 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { reference, claim = true } = request.body ?? {};
      const element = await rt.queues.next(request.params.queue, {
        claim,
        ...(reference !== undefined && { reference }),
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

  app.patch<IdRequest & { Body: { status: QueueElementStatus; message?: string } }>(
    '/queue-elements/:id',
    {
      schema: {
        tags,
        summary: "Set an element's status and message (IN_PROGRESS stamps startedAt, DONE and FAILED endedAt)",
        params: idParams,
        body: setStatusBody,
        response: { 200: queueElementViewSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { status, message } = request.body;
      return queueElementView(await rt.queues.setStatus(request.params.id, status, message));
    },
  );

  app.delete<IdRequest>(
    '/queue-elements/:id',
    {
      schema: {
        tags,
        summary: 'Delete an element',
        params: idParams,
        response: {
          200: { type: 'object', properties: { deleted: { type: 'boolean' } }, required: ['deleted'] },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (!(await rt.queues.delete(id))) throw new QueueElementNotFoundError(id);
      return { deleted: true };
    },
  );
  done();
};
