/**
 * `/api/v1/constants` and `/api/v1/credentials`. A password leaves the daemon only in the
 * answer to `GET /credentials/:name`; the other credential answers have no password field,
 * and their response schemas drop one if it were ever there.
 */
import type { FastifyPluginCallback } from 'fastify';
import type { Constant } from '../../constants.js';
import type { Credential, CredentialInfo } from '../../credentials.js';
import { ConstantNotFoundError, CredentialNotFoundError } from '../../errors.js';
import type { Runtime } from '../../runtime.js';
import { errorResponses, itemsOf, nameParams, pageOf } from '../schemas.js';

const timeSchema = { type: 'string', format: 'date-time' } as const;

const constantViewSchema = {
  type: 'object',
  properties: { name: { type: 'string' }, value: { type: 'string' }, updatedAt: timeSchema },
  required: ['name', 'value', 'updatedAt'],
} as const;

const credentialViewSchema = {
  type: 'object',
  description: 'A credential without its password',
  properties: { name: { type: 'string' }, username: { type: 'string' }, updatedAt: timeSchema },
  required: ['name', 'username', 'updatedAt'],
} as const;

const credentialSecretViewSchema = {
  type: 'object',
  description: 'A credential with its password',
  properties: { ...credentialViewSchema.properties, password: { type: 'string' } },
  required: ['name', 'username', 'password', 'updatedAt'],
} as const;

const deletedSchema = { type: 'object', properties: { deleted: { type: 'boolean' } }, required: ['deleted'] } as const;

const listConstantsQuery = {
  type: 'object',
  properties: {
    prefix: { type: 'string', maxLength: 256 },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    cursor: { type: 'string', minLength: 1, maxLength: 1024, description: 'The cursor of the previous page' },
  },
  additionalProperties: false,
} as const;

const constantBody = {
  type: 'object',
  properties: { value: { type: 'string', maxLength: 65_536 } },
  required: ['value'],
  additionalProperties: false,
} as const;

const credentialBody = {
  type: 'object',
  properties: { username: { type: 'string', maxLength: 1024 }, password: { type: 'string', maxLength: 16_384 } },
  required: ['username', 'password'],
  additionalProperties: false,
} as const;

const rotateKeyBody = {
  type: 'object',
  properties: { key: { type: 'string', maxLength: 64, description: 'The new key: 32 bytes in base64' } },
  required: ['key'],
  additionalProperties: false,
} as const;

const rotateKeyResult = {
  type: 'object',
  properties: {
    rotated: { type: 'integer', description: 'Credentials re-encrypted' },
    keyFile: {
      type: 'string',
      description:
        'The key file holding the new key; absent when the key comes from WEFT_SECRET_KEY, which must be changed',
    },
  },
  required: ['rotated'],
} as const;

interface ConstantView {
  name: string;
  value: string;
  updatedAt: string;
}

interface CredentialView {
  name: string;
  username: string;
  updatedAt: string;
}

interface CredentialSecretView extends CredentialView {
  password: string;
}

function constantView(c: Constant): ConstantView {
  return { name: c.name, value: c.value, updatedAt: c.updatedAt.toISOString() };
}

function credentialView(c: CredentialInfo): CredentialView {
  return { name: c.name, username: c.username, updatedAt: c.updatedAt.toISOString() };
}

function credentialSecretView(c: Credential): CredentialSecretView {
  return { ...credentialView(c), password: c.password };
}

interface NameRequest {
  Params: { name: string };
}

export const secretRoutes: FastifyPluginCallback<{ rt: Runtime; closing: AbortSignal }> = (app, { rt }, done) => {
  const constants = { tags: ['constants'], params: nameParams };
  const credentials = { tags: ['credentials'], params: nameParams };

  app.get<{ Querystring: { prefix?: string; limit: number; cursor?: string } }>(
    '/constants',
    {
      schema: {
        tags: ['constants'],
        summary: 'List constants in name order, a page at a time',
        querystring: listConstantsQuery,
        response: { 200: pageOf(constantViewSchema), ...errorResponses },
      },
    },
    async (request) => {
      const page = await rt.constants.list(request.query);
      return { items: page.items.map(constantView), ...(page.cursor !== undefined && { cursor: page.cursor }) };
    },
  );

  app.get<NameRequest>(
    '/constants/:name',
    { schema: { ...constants, summary: 'Read a constant', response: { 200: constantViewSchema, ...errorResponses } } },
    async (request) => constantView(await rt.constants.get(request.params.name)),
  );

  app.put<NameRequest & { Body: { value: string } }>(
    '/constants/:name',
    {
      schema: {
        ...constants,
        summary: 'Create a constant or replace its value',
        body: constantBody,
        response: { 200: constantViewSchema, ...errorResponses },
      },
    },
    async (request) => constantView(await rt.constants.set(request.params.name, request.body.value)),
  );

  app.delete<NameRequest>(
    '/constants/:name',
    { schema: { ...constants, summary: 'Delete a constant', response: { 200: deletedSchema, ...errorResponses } } },
    async (request) => {
      const { name } = request.params;
      if (!(await rt.constants.delete(name))) throw new ConstantNotFoundError(name);
      return { deleted: true };
    },
  );

  app.get(
    '/credentials',
    {
      schema: {
        tags: ['credentials'],
        summary: 'List credentials in name order, without passwords',
        response: { 200: itemsOf(credentialViewSchema), ...errorResponses },
      },
    },
    async () => ({ items: (await rt.credentials.list()).map(credentialView) }),
  );

  app.get<NameRequest>(
    '/credentials/:name',
    {
      schema: {
        ...credentials,
        summary: 'Read a credential with its password',
        response: { 200: credentialSecretViewSchema, ...errorResponses },
      },
    },
    async (request) => credentialSecretView(await rt.credentials.get(request.params.name)),
  );

  app.put<NameRequest & { Body: { username: string; password: string } }>(
    '/credentials/:name',
    {
      schema: {
        ...credentials,
        summary: 'Create a credential or replace it; the answer has no password',
        body: credentialBody,
        response: { 200: credentialViewSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { username, password } = request.body;
      return credentialView(await rt.credentials.set(request.params.name, { username, password }));
    },
  );

  app.delete<NameRequest>(
    '/credentials/:name',
    { schema: { ...credentials, summary: 'Delete a credential', response: { 200: deletedSchema, ...errorResponses } } },
    async (request) => {
      const { name } = request.params;
      if (!(await rt.credentials.delete(name))) throw new CredentialNotFoundError(name);
      return { deleted: true };
    },
  );

  app.post<{ Body: { key: string } }>(
    '/credentials/rotate-key',
    {
      schema: {
        tags: ['credentials'],
        summary: 'Re-encrypt every credential under a new secret key, in one atomic batch',
        body: rotateKeyBody,
        response: { 200: rotateKeyResult, ...errorResponses },
      },
    },
    async (request) => rt.credentials.rotateKey(request.body.key),
  );
  done();
};
