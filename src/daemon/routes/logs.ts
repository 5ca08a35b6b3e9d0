/** `/api/v1/logs`: execution logs across executions, paged or followed; `/api/v1/retention/run`. */
import type { ServerResponse } from 'node:http';
import type { FastifyPluginCallback, FastifyReply } from 'fastify';
import { InvalidRequestError } from '../../errors.js';
import type { LogLevel } from '../../executions/handle.js';
import type { Runtime } from '../../runtime.js';
import { errorBody } from '../http-errors.js';
import { errorResponses, LOG_LEVELS, nameSchema, pageOf, recordSchema } from '../schemas.js';

const tags = ['logs'];
/** Keeps proxies and idle timeouts from closing a quiet log stream. */
const HEARTBEAT_MS = 15_000;

const timeText = { type: 'string', maxLength: 64 } as const;

export const logQuerySchema = {
  type: 'object',
  properties: {
    workflow: nameSchema,
    execution: nameSchema,
    level: { type: 'string', enum: LOG_LEVELS, default: 'trace' },
    since: { ...timeText, description: 'Lines written at or after: an ISO time or epoch milliseconds' },
    until: { ...timeText, description: 'Lines written before: an ISO time or epoch milliseconds' },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    cursor: { type: 'string', minLength: 1, maxLength: 1024, description: 'The cursor of the previous page' },
    follow: {
      type: 'boolean',
      description:
        'Stream new lines as server-sent events (event: log) instead; since, until, limit and cursor do not apply',
    },
  },
  additionalProperties: false,
} as const;

interface LogQueryText {
  workflow?: string;
  execution?: string;
  level: LogLevel;
  since?: string;
  until?: string;
  limit: number;
  cursor?: string;
  follow?: boolean;
}

export const logRoutes: FastifyPluginCallback<{ rt: Runtime; closing: AbortSignal }> = (app, { rt, closing }, done) => {
  app.get<{ Querystring: LogQueryText }>(
    '/logs',
    {
      schema: {
        tags,
        summary: 'Log lines across executions, oldest first, a page at a time; with follow=1, new lines as events',
        querystring: logQuerySchema,
        response: { 200: pageOf(recordSchema), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { workflow, execution, level, since, until, limit, cursor, follow } = request.query;
      const filter = {
        ...(workflow !== undefined && { workflow }),
        ...(execution !== undefined && { executionId: execution }),
        level,
      };
      if (follow) {
        if (since !== undefined || until !== undefined || cursor !== undefined)
          throw new InvalidRequestError('follow streams new lines: since, until and cursor do not go with it', {
            field: 'querystring/follow',
          });
        return streamLines(rt, filter, reply, closing);
      }
      return rt.logs.query({
        ...filter,
        limit,
        ...(since !== undefined && { since: parseTime('since', since) }),
        ...(until !== undefined && { until: parseTime('until', until) }),
        ...(cursor !== undefined && { cursor }),
      });
    },
  );

  app.post(
    '/retention/run',
    {
      schema: {
        tags,
        summary: 'Prune finished executions past their retention now (pruned: how many)',
        response: {
          200: { type: 'object', properties: { pruned: { type: 'integer' } }, required: ['pruned'] },
          ...errorResponses,
        },
      },
    },
    async () => ({ pruned: (await rt.runRetention()).pruned }),
  );
  done();
};

/** A time given as digits (epoch ms) or an ISO time. */
function parseTime(name: string, text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms))
    throw new InvalidRequestError(`querystring/${name} must be an ISO time or epoch milliseconds`, {
      field: `querystring/${name}`,
    });
  return ms;
}

/** Server-sent events: `event: log` per new line until the client goes away or the server closes. */
async function streamLines(
  rt: Runtime,
  filter: { workflow?: string; executionId?: string; level: LogLevel },
  reply: FastifyReply,
  closing: AbortSignal,
): Promise<void> {
  const connected = whileConnected(reply, closing);
  // Subscribed before the answer starts: a client that sees the headers misses no line after them.
  let lines: AsyncIterableIterator<unknown>;
  try {
    lines = rt.logs.follow({ ...filter, signal: connected.signal });
  } catch (err) {
    connected.dispose();
    throw err;
  }
  reply.hijack();
  const res = reply.raw;
  // A stream is long: its connection is not worth keeping, and closing it lets the server stop.
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'close',
  });
  res.flushHeaders();
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  try {
    for await (const line of lines) sendEvent(res, 'log', line);
  } catch (err) {
    if (!connected.signal.aborted) {
      reply.log.error({ err }, 'following the logs failed');
      sendEvent(res, 'error', errorBody(err, { requestId: String(reply.request.id) }));
    }
  } finally {
    clearInterval(heartbeat);
    connected.dispose();
    res.end();
  }
}

function sendEvent(res: ServerResponse, event: string, data: unknown): void {
  // JSON.stringify escapes newlines, so the data is one line.
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

interface Connected {
  signal: AbortSignal;
  dispose: () => void;
}

/** A signal that aborts when the client goes away, or when the server closes. */
function whileConnected(reply: FastifyReply, closing: AbortSignal): Connected {
  const controller = new AbortController();
  const res = reply.raw;
  const onClose = (): void => {
    if (!res.writableFinished) controller.abort();
  };
  const onClosing = (): void => controller.abort();
  res.on('close', onClose);
  closing.addEventListener('abort', onClosing);
  if (closing.aborted) controller.abort();
  return {
    signal: controller.signal,
    dispose: () => {
      res.off('close', onClose);
      closing.removeEventListener('abort', onClosing);
    },
  };
}
