/**
 * JSON schemas of the HTTP API, shared by the routes; @fastify/swagger turns them into the
 * OpenAPI document. Bodies are validated strictly (no coercion, no unknown fields); query
 * parameters declared `integer` or `boolean` are converted from their text by the server
 * before validation. Every string has a `maxLength` so oversized input fails fast; the
 * runtime checks the finer rules of names (INVALID_NAME).
 */
import type { ExecutionStatus } from '../executions/handle.js';

/** Every status, checked complete by the compiler. */
const STATUS_SET = {
  PENDING: true,
  RUNNING: true,
  WAITING_LOCK: true,
  WAITING_SIGNAL: true,
  WAITING_CHILD: true,
  SLEEPING: true,
  SUCCESS: true,
  FAILED: true,
  CANCELLED: true,
  TIMED_OUT: true,
} as const satisfies Record<ExecutionStatus, true>;
export const EXECUTION_STATUSES = Object.keys(STATUS_SET) as ExecutionStatus[];

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

// ---- building blocks -------------------------------------------------------------------

export const nameSchema = { type: 'string', minLength: 1, maxLength: 256 } as const;
const textSchema = { type: 'string', maxLength: 1024 } as const;
const cursorSchema = { type: 'string', minLength: 1, maxLength: 1024, description: 'The cursor of the previous page' };
const timeSchema = { type: 'string', format: 'date-time' } as const;
/** Any JSON value: inputs, results, setting values, payloads. */
const valueSchema = { description: 'Any JSON value' } as const;
const openObjectSchema = { type: 'object', additionalProperties: true } as const;

function pageLimit(max: number, byDefault: number): object {
  return { type: 'integer', minimum: 1, maximum: max, default: byDefault };
}

export const errorSchema = {
  type: 'object',
  description: 'Every error: a stable weft error code and a message; context names the details',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, context: openObjectSchema },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;

/** Error responses every route may give. */
export const errorResponses = { '4xx': errorSchema, '5xx': errorSchema } as const;

export const idParams = {
  type: 'object',
  properties: { id: nameSchema },
  required: ['id'],
  additionalProperties: false,
} as const;

export const nameParams = {
  type: 'object',
  properties: { name: nameSchema },
  required: ['name'],
  additionalProperties: false,
} as const;

export const keyParams = {
  type: 'object',
  properties: { key: nameSchema },
  required: ['key'],
  additionalProperties: false,
} as const;

// ---- executions ------------------------------------------------------------------------

const errorViewSchema = {
  type: 'object',
  properties: { code: { type: 'string' }, message: { type: 'string' }, context: openObjectSchema },
  required: ['code', 'message'],
} as const;

export const executionViewSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    workflow: { type: 'string' },
    version: { type: 'string' },
    status: { type: 'string', enum: EXECUTION_STATUSES },
    input: {
      type: 'object',
      properties: { args: { type: 'array', items: valueSchema }, kwargs: openObjectSchema },
      required: ['args'],
    },
    createdAt: timeSchema,
    startedAt: timeSchema,
    endedAt: timeSchema,
    result: valueSchema,
    error: errorViewSchema,
  },
  required: ['id', 'workflow', 'version', 'status', 'input', 'createdAt'],
} as const;

export const executionStatusSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, status: { type: 'string', enum: EXECUTION_STATUSES } },
  required: ['id', 'status'],
} as const;

export const startBody = {
  type: 'object',
  properties: {
    workflow: nameSchema,
    input: {
      type: ['array', 'object'],
      description: 'Positional arguments as a list, or { args, kwargs }',
      maxItems: 1000,
      items: valueSchema,
      properties: {
        args: { type: 'array', maxItems: 1000, items: valueSchema },
        kwargs: { type: 'object', maxProperties: 1000 },
      },
      additionalProperties: false,
    },
    id: { ...nameSchema, description: 'Makes the start idempotent: an existing id answers that execution' },
  },
  required: ['workflow'],
  additionalProperties: false,
} as const;

export const listExecutionsQuery = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: EXECUTION_STATUSES },
    workflow: nameSchema,
    since: { type: 'string', maxLength: 64, description: 'Created at or after: an ISO time or epoch milliseconds' },
    limit: pageLimit(1000, 100),
    cursor: cursorSchema,
  },
  additionalProperties: false,
} as const;

export const logsQuery = {
  type: 'object',
  properties: {
    level: { type: 'string', enum: LOG_LEVELS, default: 'trace' },
    limit: { type: 'integer', minimum: 1, maximum: 100_000 },
    follow: { type: 'boolean', description: 'Stream the lines as server-sent events until the execution ends' },
  },
  additionalProperties: false,
} as const;

export const signalBody = {
  type: 'object',
  properties: { name: nameSchema, payload: valueSchema },
  required: ['name'],
  additionalProperties: false,
} as const;

/** The body is optional: null stands for none. */
export const cancelBody = {
  type: ['object', 'null'],
  properties: { reason: textSchema },
  additionalProperties: false,
} as const;

export const resultQuery = {
  type: 'object',
  properties: { timeoutMs: { type: 'integer', minimum: 0, maximum: 300_000, default: 30_000 } },
  additionalProperties: false,
} as const;

export const itemsOf = (items: object): object => ({
  type: 'object',
  properties: { items: { type: 'array', items } },
  required: ['items'],
});

export const pageOf = (items: object): object => ({
  type: 'object',
  properties: { items: { type: 'array', items }, cursor: { type: 'string' } },
  required: ['items'],
});

export const taskViewSchema = {
  type: 'object',
  properties: {
    step: { type: 'integer' },
    activity: { type: 'string' },
    taskList: { type: 'string' },
    state: { type: 'string', enum: ['scheduled', 'retrying', 'completed', 'failed'] },
    attempts: { type: 'integer' },
    scheduledAt: timeSchema,
    startedAt: timeSchema,
    endedAt: timeSchema,
    lastStateAt: timeSchema,
  },
  required: ['step', 'activity', 'taskList', 'state', 'attempts', 'scheduledAt', 'lastStateAt'],
} as const;

export const profileViewSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    totalMs: { type: 'number' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          step: { type: 'integer' },
          activity: { type: 'string' },
          state: taskViewSchema.properties.state,
          scheduledAt: timeSchema,
          startedAt: timeSchema,
          endedAt: timeSchema,
          waitingMs: { type: 'number' },
          runningMs: { type: 'number' },
          percent: { type: 'number' },
        },
        required: ['step', 'activity', 'state', 'scheduledAt', 'waitingMs', 'runningMs', 'percent'],
      },
    },
  },
  required: ['id', 'totalMs', 'items'],
} as const;

/** History events and log lines go out as recorded. */
export const recordSchema = openObjectSchema;

// ---- settings --------------------------------------------------------------------------

export const settingViewSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    value: valueSchema,
    version: { type: 'integer' },
    createdAt: timeSchema,
    updatedAt: timeSchema,
    updatedBy: { type: 'string' },
  },
  required: ['id', 'name', 'value', 'version', 'createdAt', 'updatedAt', 'updatedBy'],
} as const;

export const byQuery = {
  type: 'object',
  properties: { by: { type: 'string', enum: ['id', 'name'], default: 'id', description: 'What :key is' } },
  additionalProperties: false,
} as const;

export const createSettingBody = {
  type: 'object',
  properties: { name: nameSchema, value: valueSchema, updatedBy: nameSchema },
  required: ['name', 'value'],
  additionalProperties: false,
} as const;

export const updateSettingBody = {
  type: 'object',
  properties: {
    value: valueSchema,
    expectedVersion: { type: 'integer', minimum: 1, description: 'Compare-and-set: fail unless at this version' },
    updatedBy: nameSchema,
  },
  required: ['value'],
  additionalProperties: false,
} as const;

export const listSettingsQuery = {
  type: 'object',
  properties: { prefix: { type: 'string', maxLength: 256 }, limit: pageLimit(1000, 100), cursor: cursorSchema },
  additionalProperties: false,
} as const;

// ---- locks -----------------------------------------------------------------------------

export const lockViewSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    holder: {
      type: 'object',
      properties: {
        holder: { type: 'string' },
        token: { type: 'integer' },
        since: timeSchema,
        count: { type: 'integer' },
        expiresAt: timeSchema,
      },
      required: ['holder', 'token', 'since', 'count'],
    },
    waiters: {
      type: 'array',
      items: {
        type: 'object',
        properties: { holder: { type: 'string' }, since: timeSchema, deadline: timeSchema },
        required: ['holder', 'since'],
      },
    },
  },
  required: ['name', 'waiters'],
} as const;

export const grantViewSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    holder: { type: 'string' },
    token: { type: 'integer' },
    expiresAt: timeSchema,
  },
  required: ['name', 'holder', 'token'],
} as const;

/** The body is optional: null (none) takes every default. */
export const acquireBody = {
  type: ['object', 'null'],
  properties: {
    holder: { ...nameSchema, default: 'api' },
    ttlMs: { type: 'integer', minimum: 1, maximum: 86_400_000, default: 30_000 },
    timeoutMs: { type: 'integer', minimum: 0, maximum: 300_000, default: 0, description: '0 tries once' },
  },
  additionalProperties: false,
} as const;

export const tokenBody = {
  type: 'object',
  properties: { token: { type: 'integer', minimum: 1 } },
  required: ['token'],
  additionalProperties: false,
} as const;
