/** `/api/v1/executions`: start, list and inspect executions; signal, cancel, and wait for them. */
import type { FastifyPluginCallback, FastifyReply } from 'fastify';
import { isFinal } from '../../../actors/execution/history.js';
import type { ExecutionHandle, ExecutionStatus, LogLevel } from '../../executions/handle.js';
import type { Runtime } from '../../runtime.js';
import {
  cancelBody,
  errorResponses,
  executionStatusSchema,
  executionViewSchema,
  idParams,
  itemsOf,
  listExecutionsQuery,
  logsQuery,
  pageOf,
  profileViewSchema,
  recordSchema,
  resultQuery,
  signalBody,
  startBody,
  taskViewSchema,
} from '../schemas.js';
import { serveEvents, whileConnected, type Connected } from '../sse.js';
import { parseTime } from '../time.js';
import { executionView, profileView, taskView } from '../views.js';

const tags = ['executions'];

interface IdParams {
  id: string;
}

interface StartBody {
  workflow: string;
  input?: unknown[] | { args?: unknown[]; kwargs?: Record<string, unknown> };
  id?: string;
}

export const executionRoutes: FastifyPluginCallback<{ rt: Runtime; closing: AbortSignal }> = (
  app,
  { rt, closing },
  done,
) => {
  app.post<{ Body: StartBody }>(
    '/executions',
    {
      schema: {
        tags,
        summary: 'Start an execution (idempotent when given an id)',
        body: startBody,
        response: { 200: executionStatusSchema, 201: executionStatusSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { workflow, input, id } = request.body;
      const { args, kwargs } = Array.isArray(input) ? { args: input, kwargs: undefined } : (input ?? {});
      const handle = await rt.start({
        workflow,
        ...(args !== undefined && { args }),
        ...(kwargs !== undefined && { kwargs }),
        ...(id !== undefined && { id }),
      });
      return reply.status(handle.created ? 201 : 200).send({ id: handle.id, status: await handle.status() });
    },
  );

  app.get<{
    Querystring: { status?: ExecutionStatus; workflow?: string; since?: string; limit: number; cursor?: string };
  }>(
    '/executions',
    {
      schema: {
        tags,
        summary: 'List executions in creation order, a page at a time',
        querystring: listExecutionsQuery,
        response: { 200: pageOf(executionViewSchema), ...errorResponses },
      },
    },
    async (request) => {
      const { since, ...filters } = request.query;
      const page = await rt.list({ ...filters, ...(since !== undefined && { since: parseTime('since', since) }) });
      return { items: page.items.map(executionView), ...(page.cursor !== undefined && { cursor: page.cursor }) };
    },
  );

  app.get<{ Params: IdParams }>(
    '/executions/:id',
    {
      schema: {
        tags,
        summary: 'An execution: status, input, result or error',
        params: idParams,
        response: { 200: executionViewSchema, ...errorResponses },
      },
    },
    async (request) => executionView(await (await rt.get(request.params.id)).info()),
  );

  app.get<{ Params: IdParams }>(
    '/executions/:id/history',
    {
      schema: {
        tags,
        summary: 'The recorded steps of an execution, in order',
        params: idParams,
        response: { 200: itemsOf(recordSchema), ...errorResponses },
      },
    },
    async (request) => ({ items: await (await rt.get(request.params.id)).history() }),
  );

  app.get<{ Params: IdParams }>(
    '/executions/:id/tasks',
    {
      schema: {
        tags,
        summary: 'The activity steps of an execution',
        params: idParams,
        response: { 200: itemsOf(taskViewSchema), ...errorResponses },
      },
    },
    async (request) => ({ items: (await (await rt.get(request.params.id)).tasks()).map(taskView) }),
  );

  app.get<{ Params: IdParams }>(
    '/executions/:id/profile',
    {
      schema: {
        tags,
        summary: 'Where the time of an execution went, per activity',
        params: idParams,
        response: { 200: profileViewSchema, ...errorResponses },
      },
    },
    async (request) => profileView(await (await rt.get(request.params.id)).profile()),
  );

  app.get<{ Params: IdParams; Querystring: { level: LogLevel; limit?: number; follow?: boolean } }>(
    '/executions/:id/logs',
    {
      schema: {
        tags,
        summary: 'The log lines of an execution; with follow=1, a server-sent event stream until it ends',
        params: idParams,
        querystring: logsQuery,
        response: { 200: itemsOf(recordSchema), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { level, limit, follow } = request.query;
      const handle = await rt.get(request.params.id);
      if (follow) return streamLogs(handle, level, reply, closing);
      return { items: await handle.logs({ level, ...(limit !== undefined && { limit }) }) };
    },
  );

  app.post<{ Params: IdParams; Body: { name: string; payload?: unknown } }>(
    '/executions/:id/signals',
    {
      schema: {
        tags,
        summary: 'Send an execution a signal',
        params: idParams,
        body: signalBody,
        response: {
          202: { type: 'object', properties: { delivered: { type: 'boolean' } }, required: ['delivered'] },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const handle = await rt.get(request.params.id);
      await handle.signal(request.body.name, request.body.payload);
      return reply.status(202).send({ delivered: true });
    },
  );

  app.post<{ Params: IdParams; Body: { reason?: string } | null | undefined }>(
    '/executions/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel an execution (the body is optional)',
        params: idParams,
        body: cancelBody,
        response: {
          200: {
            type: 'object',
            properties: { ...executionStatusSchema.properties, cancelled: { type: 'boolean' } },
            required: ['id', 'cancelled', 'status'],
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const handle = await rt.get(request.params.id);
      const cancelled = await handle.cancel(request.body?.reason ?? 'cancelled through the API');
      return { id: handle.id, cancelled, status: await handle.status() };
    },
  );

  app.get<{ Params: IdParams; Querystring: { timeoutMs: number } }>(
    '/executions/:id/result',
    {
      schema: {
        tags,
        summary: 'Wait for an execution to end: 200 with it once final, 202 if the timeout passed first',
        params: idParams,
        querystring: resultQuery,
        response: { 200: executionViewSchema, 202: executionStatusSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const handle = await rt.get(request.params.id);
      const info = await handle.info();
      if (isFinal(info.status)) return executionView(info);
      if (await waitForEnd(handle, request.query.timeoutMs, whileConnected(reply, closing)))
        return executionView(await handle.info());
      return reply.status(202).send({ id: handle.id, status: await handle.status() });
    },
  );
  done();
};

/** True once the execution ends; false when `timeoutMs` passes first, the client goes away or the server closes. */
async function waitForEnd(handle: ExecutionHandle, timeoutMs: number, connected: Connected): Promise<boolean> {
  const timedOut = new AbortController();
  const timer = setTimeout(() => timedOut.abort(), timeoutMs);
  // Giving up withdraws the wait, so polling a days-long execution leaves nothing behind.
  const signal = AbortSignal.any([timedOut.signal, connected.signal]);
  try {
    // The outcome is read from info() afterwards: a rejection here is a failed execution or giving up.
    return await handle.result({ signal }).then(
      () => true,
      () => !signal.aborted,
    );
  } finally {
    clearTimeout(timer);
    connected.dispose();
  }
}

/**
 * Server-sent events: `event: log` per line (stored ones first, then live ones), then
 * `event: end` with the final status. Stops following when the client goes away.
 */
async function streamLogs(
  handle: ExecutionHandle,
  level: LogLevel,
  reply: FastifyReply,
  closing: AbortSignal,
): Promise<void> {
  const connected = whileConnected(reply, closing);
  await serveEvents(reply, connected, async (send) => {
    for await (const line of handle.followLogs({ level, signal: connected.signal })) await send('log', line);
    if (!connected.signal.aborted) await send('end', { status: await handle.status() });
  });
}
