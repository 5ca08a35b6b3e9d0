/** Health (no auth), Prometheus metrics, and the OpenAPI document of the API. */
import type { FastifyPluginCallback } from 'fastify';
import type { Runtime } from '../../runtime.js';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from '../prometheus.js';
import { errorResponses } from '../schemas.js';

export const metaRoutes: FastifyPluginCallback<{ rt: Runtime }> = (app, { rt }, done) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['meta'],
        summary: 'Liveness: answers while the daemon serves (no auth)',
        security: [],
        response: {
          200: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } }, required: ['status'] },
        },
      },
    },
    (_request, reply) => reply.send({ status: 'ok' }),
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['meta'],
        summary: 'Runtime metrics in the Prometheus text format 0.0.4',
        produces: ['text/plain'],
        response: { 200: { type: 'string', description: 'Prometheus text format' }, ...errorResponses },
      },
    },
    (_request, reply) =>
      reply.type(PROMETHEUS_CONTENT_TYPE).send(renderPrometheus(rt.metrics(), process.memoryUsage.rss())),
  );

  app.get(
    '/api/v1/openapi.json',
    {
      schema: {
        tags: ['meta'],
        summary: 'This API as an OpenAPI 3.1 document',
        response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses },
      },
    },
    (_request, reply) => reply.send(app.swagger()),
  );
  done();
};
