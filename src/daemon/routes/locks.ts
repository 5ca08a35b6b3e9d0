/** `/api/v1/locks`: leases for API clients (acquire, renew, release) and the state of every lock. */
import type { FastifyPluginCallback } from 'fastify';
import { WeftError } from '../../errors.js';
import type { Runtime } from '../../runtime.js';
import {
  acquireBody,
  errorResponses,
  grantViewSchema,
  itemsOf,
  lockViewSchema,
  nameParams,
  tokenBody,
} from '../schemas.js';
import { whileConnected } from '../sse.js';
import { grantView, lockView } from '../views.js';

const tags = ['locks'];
const DEFAULT_HOLDER = 'api';
const DEFAULT_TTL_MS = 30_000;

interface NameParams {
  name: string;
}

export const lockRoutes: FastifyPluginCallback<{ rt: Runtime; closing: AbortSignal }> = (
  app,
  { rt, closing },
  done,
) => {
  app.get(
    '/locks',
    {
      schema: {
        tags,
        summary: 'Every lock that is held or waited for',
        response: { 200: itemsOf(lockViewSchema), ...errorResponses },
      },
    },
    async () => ({ items: (await rt.locks.list()).map(lockView) }),
  );

  app.post<{ Params: NameParams; Body: { holder?: string; ttlMs?: number; timeoutMs?: number } | null | undefined }>(
    '/locks/:name/acquire',
    {
      schema: {
        tags,
        summary: 'Take a lease on a lock, waiting up to timeoutMs (0 tries once); 409 LOCK_TIMEOUT if not granted',
        params: nameParams,
        body: acquireBody,
        response: { 200: grantViewSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { holder = DEFAULT_HOLDER, ttlMs = DEFAULT_TTL_MS, timeoutMs = 0 } = request.body ?? {};
      const waiting = whileConnected(reply, closing);
      try {
        const grant = await rt.locks.acquire(request.params.name, { holder, ttlMs, timeoutMs, signal: waiting.signal });
        return grantView(grant);
      } catch (err) {
        if (closing.aborted) throw new WeftError('RUNTIME_CLOSED', 'The daemon is shutting down; try again later');
        // The client left and its request left the queue: there is nobody to answer.
        if (waiting.signal.aborted) {
          reply.hijack();
          reply.raw.destroy();
          return;
        }
        throw err;
      } finally {
        waiting.dispose();
      }
    },
  );

  app.post<{ Params: NameParams; Body: { token: number } }>(
    '/locks/:name/renew',
    {
      schema: {
        tags,
        summary: 'Extend a lease by its TTL from now',
        params: nameParams,
        body: tokenBody,
        response: { 200: grantViewSchema, ...errorResponses },
      },
    },
    async (request) => grantView(await rt.locks.renew(request.params.name, request.body.token)),
  );

  app.post<{ Params: NameParams; Body: { token: number } }>(
    '/locks/:name/release',
    {
      schema: {
        tags,
        summary: 'Release a lease; the next waiter gets the lock at once',
        params: nameParams,
        body: tokenBody,
        response: {
          200: { type: 'object', properties: { released: { type: 'boolean' } }, required: ['released'] },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      await rt.locks.release(request.params.name, request.body.token);
      return { released: true };
    },
  );
  done();
};
