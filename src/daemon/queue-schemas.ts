/**
 * JSON schemas of the queue routes (see schemas.ts for the conventions): strict bodies,
 * every string bounded. The runtime checks the finer rules (queue names, control characters).
 */
import { MAX_MESSAGE, QUEUE_ELEMENT_STATUSES } from '../queues.js';
import { nameSchema } from './schemas.js';

/** The most elements one bulk request may carry. */
export const MAX_BULK_REQUEST = 10_000;

const timeSchema = { type: 'string', format: 'date-time' } as const;
const textSchema = { type: 'string', minLength: 1, maxLength: 256 } as const;
const statusSchema = { type: 'string', enum: QUEUE_ELEMENT_STATUSES } as const;
/** As the runtime's requestId (which also refuses control characters). */
const requestIdSchema = {
  ...textSchema,
  description:
    'Makes the call idempotent: a repeat with the same requestId answers the first outcome, changing nothing',
} as const;
/** Each mutating body's optional requestId. */
const requestIdProperty = { requestId: requestIdSchema } as const;

export const queueParams = {
  type: 'object',
  properties: { queue: nameSchema },
  required: ['queue'],
  additionalProperties: false,
} as const;

export const queueElementViewSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    queue: { type: 'string' },
    reference: { type: 'string' },
    data: { description: 'Any JSON value' },
    status: statusSchema,
    message: { type: 'string' },
    createdBy: { type: 'string' },
    createdAt: timeSchema,
    startedAt: timeSchema,
    endedAt: timeSchema,
  },
  required: ['id', 'queue', 'status', 'createdBy', 'createdAt'],
} as const;

const countsSchema = {
  type: 'object',
  properties: Object.fromEntries(QUEUE_ELEMENT_STATUSES.map((s) => [s, { type: 'integer' }])),
  required: [...QUEUE_ELEMENT_STATUSES],
} as const;

export const queueSummarySchema = {
  type: 'object',
  properties: { queue: { type: 'string' }, counts: countsSchema },
  required: ['queue', 'counts'],
} as const;

const elementInput = {
  type: 'object',
  properties: {
    reference: textSchema,
    data: { description: 'Any JSON value' },
    createdBy: { ...textSchema, description: "Who created it (default 'api')" },
  },
  additionalProperties: false,
} as const;

/** The body is optional: none creates an element without reference or data. */
export const createElementBody = {
  ...elementInput,
  type: ['object', 'null'],
  properties: { ...elementInput.properties, ...requestIdProperty },
} as const;

export const bulkCreateBody = {
  type: 'object',
  properties: {
    elements: { type: 'array', maxItems: MAX_BULK_REQUEST, items: elementInput },
    ...requestIdProperty,
  },
  required: ['elements'],
  additionalProperties: false,
} as const;

/** The body is optional: none claims the oldest NEW element. */
export const nextBody = {
  type: ['object', 'null'],
  properties: {
    reference: textSchema,
    claim: { type: 'boolean', default: true, description: 'false only peeks' },
    ...requestIdProperty,
  },
  additionalProperties: false,
} as const;

export const listElementsQuery = {
  type: 'object',
  properties: {
    reference: textSchema,
    status: statusSchema,
    offset: { type: 'integer', minimum: 0, maximum: 1_000_000_000, default: 0 },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  },
  additionalProperties: false,
} as const;

export const setStatusBody = {
  type: 'object',
  properties: { status: statusSchema, message: { type: 'string', maxLength: MAX_MESSAGE }, ...requestIdProperty },
  required: ['status'],
  additionalProperties: false,
} as const;

/** DELETE takes no body: its requestId comes in the query. */
export const deleteElementQuery = {
  type: 'object',
  properties: requestIdProperty,
  additionalProperties: false,
} as const;

/**
 * The conventional header for the same thing as `requestId` (for clients that set it on
 * every retry). Headers cannot be closed to unknown names; only this one is checked.
 */
export const idempotencyHeaders = {
  type: 'object',
  properties: { 'idempotency-key': { ...requestIdSchema, description: 'The same as requestId' } },
} as const;
