/**
 * The daemon's HTTP layer: a fastify instance serving the weft API over one runtime, with
 * bearer-token auth, JSON-only bodies, and every error as `{ error: { code, message } }`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { InvalidArgumentError, RouteNotFoundError, UnauthorizedError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { clientErrorResponse, toHttpError } from './http-errors.js';
import { executionRoutes } from './routes/executions.js';
import { lockRoutes } from './routes/locks.js';
import { metaRoutes } from './routes/meta.js';
import { settingRoutes } from './routes/settings.js';
import { queueRoutes } from './routes/queues.js';
import { secretRoutes } from './routes/secrets.js';
import { triggerRoutes } from './routes/triggers.js';
import { logRoutes } from './routes/logs.js';

export interface ServerOptions {
  /** The bearer token every request but `GET /health` must carry. */
  token: string;
  /** The largest request body, in bytes. @default 1 MiB */
  bodyLimit?: number;
  /** Where fastify logs; requests at debug, failures (5xx) at error. @default no logging */
  logger?: Logger;
}

const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** Routes anyone may call. */
const PUBLIC_ROUTES = new Set(['/health']);

/**
 * Builds (without listening) the HTTP server of the daemon over `rt`.
 *
 * @example
 * const app = await buildServer(rt, { token });
 * await app.listen({ host: '127.0.0.1', port: 0 });
 */
export async function buildServer(rt: Runtime, options: ServerOptions): Promise<FastifyInstance> {
  const { token } = options;
  if (typeof token !== 'string' || token.length === 0) throw new InvalidArgumentError('token', 'it must be non-empty');
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  if (!Number.isSafeInteger(bodyLimit) || bodyLimit < 1)
    throw new InvalidArgumentError('bodyLimit', 'it must be a whole number of bytes, 1 or more');

  const app = Fastify({
    bodyLimit,
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Requests are logged at debug by our own hook; failures at error by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    // Names are up to 256 characters, and each may take three when percent-encoded.
    routerOptions: { maxParamLength: 1024 },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allowUnionTypes: true } },
    // Errors met before routing (a URL that does not decode) get the same body as the rest.
    frameworkErrors: (err, request, reply) => {
      const { status, body } = toHttpError(err, { requestId: request.id, bodyLimit });
      void (reply as unknown as FastifyReply).status(status).send(body);
    },
    // Requests Node's HTTP parser refuses never reach fastify: answer them on the socket.
    clientErrorHandler: (err: Error & { code?: string }, socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      if (socket.writable) socket.write(clientErrorResponse(err));
      socket.destroy(err);
    },
  }) as unknown as FastifyInstance;

  acceptJsonOnly(app);
  const authorized = tokenMatcher(token);
  app.addHook('onRequest', (request, _reply, done) => {
    const open = PUBLIC_ROUTES.has(request.routeOptions.url ?? '');
    done(open || authorized(request.headers.authorization) ? undefined : new UnauthorizedError());
  });
  app.addHook('preValidation', (request, _reply, done) => {
    convertQueryText(request);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    request.log.debug(
      { method: request.method, url: request.url, statusCode: reply.statusCode, ms: reply.elapsedTime },
      'request',
    );
    done();
  });
  app.setErrorHandler((err, request, reply) => {
    const { status, body } = toHttpError(err, { requestId: request.id, bodyLimit });
    if (status >= 500) request.log.error({ err, method: request.method, url: request.url }, 'request failed');
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.send(new RouteNotFoundError(request.method, request.url.split('?')[0] ?? request.url)),
  );

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'weft', description: 'The HTTP API of a weft daemon', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  // Long polls, log streams and lock waits end when the server closes, and what is answered
  // then closes its connection: close() waits for every connection, kept-alive ones too.
  const closing = new AbortController();
  // Every request held open listens on it: many are expected, not a leak to warn about.
  setMaxListeners(0, closing.signal);
  app.addHook('preClose', (done) => {
    closing.abort();
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing.signal.aborted) void reply.header('connection', 'close');
    done(null, payload);
  });
  await app.register(metaRoutes, { rt });
  await app.register(executionRoutes, { rt, closing: closing.signal, prefix: '/api/v1' });
  await app.register(settingRoutes, { rt, prefix: '/api/v1' });
  await app.register(lockRoutes, { rt, closing: closing.signal, prefix: '/api/v1' });
  await app.register(queueRoutes, { rt, closing: closing.signal, prefix: '/api/v1' });
  await app.register(secretRoutes, { rt, closing: closing.signal, prefix: '/api/v1' });
  await app.register(triggerRoutes, { rt, closing: closing.signal, prefix: '/api/v1' });
  await app.register(logRoutes, { rt, closing: closing.signal, prefix: '/api/v1' });
  return app;
}

/**
 * Bodies are JSON only (anything else is 415). An empty body stands for none, so routes
 * whose body is optional take it; the others fail validation naming the body.
 */
function acceptJsonOnly(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    if ((text as string).trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text as string));
    } catch (err) {
      done(err as SyntaxError, undefined);
    }
  });
}

/** Compares sha256 digests in constant time, so neither the token nor its length leaks through timing. */
function tokenMatcher(token: string): (header: string | undefined) => boolean {
  const expected = digest(token);
  return (header) => {
    const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
    return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

interface PropertySchema {
  type?: unknown;
}

/**
 * Query strings arrive as text; bodies are validated without coercion, so the query
 * parameters a route declares `integer` or `boolean` are converted here. Text that is no
 * such value is left as it is, and validation answers 400 naming the parameter.
 */
function convertQueryText(request: FastifyRequest): void {
  const schema = request.routeOptions.schema?.querystring as
    { properties?: Record<string, PropertySchema> } | undefined;
  const properties = schema?.properties;
  if (!properties) return;
  const query = request.query as Record<string, unknown>;
  for (const [key, value] of Object.entries(query)) {
    if (typeof value !== 'string') continue;
    const type = properties[key]?.type;
    if (type === 'integer' && /^-?\d{1,15}$/.test(value)) query[key] = Number(value);
    else if (type === 'boolean' && /^(true|false|1|0)$/.test(value)) query[key] = value === 'true' || value === '1';
  }
}
