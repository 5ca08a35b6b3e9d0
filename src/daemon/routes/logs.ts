/** `/api/v1/logs`: execution logs across executions, paged or followed; `/api/v1/retention/run`. */
import type { FastifyPluginCallback, FastifyReply } from 'fastify';
import { InvalidRequestError } from '../../errors.js';
import type { LogLevel } from '../../executions/handle.js';
import type { Runtime } from '../../runtime.js';
import { errorResponses, LOG_LEVELS, nameSchema, pageOf, recordSchema } from '../schemas.js';
import { serveEvents, whileConnected } from '../sse.js';
import { parseTime } from '../time.js';

const tags = ['logs'];

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
  await serveEvents(reply, connected, async (send) => {
    for await (const line of lines) await send('log', line);
  });
}
