/** `/api/v1/triggers`: cron schedules and queue triggers, as OpenOrchestrator's scheduler. */
import type { FastifyPluginCallback } from 'fastify';
import { TriggerNotFoundError } from '../../errors.js';
import type { TriggerRunView, TriggerView } from '../../client/triggers.js';
import type { Runtime } from '../../runtime.js';
import type { Trigger, TriggerDefinition, TriggerRunInfo } from '../../triggers.js';
import { errorResponses, itemsOf, nameParams, nameSchema } from '../schemas.js';
import { jsonValue } from '../views.js';

const tags = ['triggers'];

export function triggerView(t: Trigger): TriggerView {
  const common = {
    kind: t.kind,
    name: t.name,
    workflow: t.workflow,
    paused: t.paused,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
    running: t.running,
  };
  if (t.kind === 'queue') return { ...common, queue: t.queue, concurrency: t.concurrency, claimed: t.claimed };
  return {
    ...common,
    cron: t.cron,
    ...(t.timezone !== undefined && { timezone: t.timezone }),
    input: jsonValue(t.input) as TriggerView['input'],
    overlap: t.overlap,
    catchUp: t.catchUp,
    ...(t.nextAt && { nextAt: t.nextAt.toISOString() }),
    ...(t.lastFiredAt && { lastFiredAt: t.lastFiredAt.toISOString() }),
    ...(t.lastExecutionId !== undefined && { lastExecutionId: t.lastExecutionId }),
  };
}

export function triggerRunView(r: TriggerRunInfo): TriggerRunView {
  return { ...r, at: r.at.toISOString() };
}

const timeSchema = { type: 'string', format: 'date-time' } as const;
const idsSchema = { type: 'array', items: { type: 'string' } } as const;

export const triggerViewSchema = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: ['cron', 'queue'] },
    name: { type: 'string' },
    workflow: { type: 'string' },
    paused: { type: 'boolean' },
    createdAt: timeSchema,
    updatedAt: timeSchema,
    running: { ...idsSchema, description: 'Executions it started that have not ended' },
    cron: { type: 'string' },
    timezone: { type: 'string' },
    input: {
      type: 'object',
      properties: { args: { type: 'array' }, kwargs: { type: 'object', additionalProperties: true } },
    },
    overlap: { type: 'string', enum: ['skip', 'allow'] },
    catchUp: { type: 'string', enum: ['none', 'latest', 'all'] },
    nextAt: timeSchema,
    lastFiredAt: timeSchema,
    lastExecutionId: { type: 'string' },
    queue: { type: 'string' },
    concurrency: { type: 'integer' },
    claimed: { ...idsSchema, description: 'Elements it claimed whose outcome is not yet recorded' },
  },
  required: ['kind', 'name', 'workflow', 'paused', 'createdAt', 'updatedAt', 'running'],
} as const;

export const triggerRunViewSchema = {
  type: 'object',
  properties: {
    at: timeSchema,
    outcome: { type: 'string', enum: ['started', 'skipped', 'missed', 'error', 'DONE', 'FAILED'] },
    executionId: { type: 'string' },
    elementId: { type: 'string' },
    detail: { type: 'string' },
  },
  required: ['at', 'outcome'],
} as const;

/** One schema for both kinds; the runtime names a field that does not belong to the kind (INVALID_ARGUMENT). */
export const createTriggerBody = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: ['cron', 'queue'] },
    name: nameSchema,
    workflow: nameSchema,
    paused: { type: 'boolean' },
    cron: { type: 'string', minLength: 1, maxLength: 256, description: 'cron: 5 or 6 fields, or @hourly, @daily…' },
    timezone: { type: 'string', minLength: 1, maxLength: 64, description: 'cron: an IANA zone (default UTC)' },
    input: {
      type: 'object',
      description: 'cron: each execution input',
      properties: {
        args: { type: 'array', maxItems: 1000 },
        kwargs: { type: 'object', maxProperties: 1000 },
      },
      additionalProperties: false,
    },
    overlap: { type: 'string', enum: ['skip', 'allow'] },
    catchUp: { type: 'string', enum: ['none', 'latest', 'all'] },
    queue: { ...nameSchema, description: 'queue: the queue whose NEW elements start executions' },
    concurrency: { type: 'integer', minimum: 1, maximum: 1000 },
  },
  required: ['kind', 'name', 'workflow'],
  additionalProperties: false,
} as const;

interface NameRequest {
  Params: { name: string };
}

export const triggerRoutes: FastifyPluginCallback<{ rt: Runtime; closing: AbortSignal }> = (app, { rt }, done) => {
  app.get(
    '/triggers',
    {
      schema: {
        tags,
        summary: 'List triggers by name',
        response: { 200: itemsOf(triggerViewSchema), ...errorResponses },
      },
    },
    async () => ({ items: (await rt.triggers.list()).map(triggerView) }),
  );

  app.post<{ Body: TriggerDefinition }>(
    '/triggers',
    {
      schema: {
        tags,
        summary: 'Create a cron schedule or a queue trigger',
        body: createTriggerBody,
        response: { 201: triggerViewSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(triggerView(await rt.triggers.create(request.body))),
  );

  app.get<NameRequest>(
    '/triggers/:name',
    {
      schema: {
        tags,
        summary: 'Read a trigger',
        params: nameParams,
        response: { 200: triggerViewSchema, ...errorResponses },
      },
    },
    async (request) => {
      const trigger = await rt.triggers.get(request.params.name);
      if (!trigger) throw new TriggerNotFoundError(request.params.name);
      return triggerView(trigger);
    },
  );

  app.get<NameRequest>(
    '/triggers/:name/runs',
    {
      schema: {
        tags,
        summary: "A trigger's latest fires (at most 20), newest first",
        params: nameParams,
        response: { 200: itemsOf(triggerRunViewSchema), ...errorResponses },
      },
    },
    async (request) => ({ items: (await rt.triggers.runs(request.params.name)).map(triggerRunView) }),
  );

  for (const action of ['pause', 'resume'] as const)
    app.post<NameRequest>(
      `/triggers/:name/${action}`,
      {
        schema: {
          tags,
          summary: action === 'pause' ? 'Stop firing (what runs goes on)' : 'Fire again, from now on',
          params: nameParams,
          response: { 200: triggerViewSchema, ...errorResponses },
        },
      },
      async (request) => triggerView(await rt.triggers[action](request.params.name)),
    );

  app.delete<NameRequest>(
    '/triggers/:name',
    {
      schema: {
        tags,
        summary: 'Delete a trigger (executions it started go on)',
        params: nameParams,
        response: {
          200: { type: 'object', properties: { deleted: { type: 'boolean' } }, required: ['deleted'] },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      if (!(await rt.triggers.delete(request.params.name))) throw new TriggerNotFoundError(request.params.name);
      return { deleted: true };
    },
  );
  done();
};
