/**
 * `/api/v1/constants` and `/api/v1/credentials` through `app.inject()` over an in-memory
 * runtime: every route, the 4xx bodies, and the password only in the explicit read.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/index.js';
import { buildServer } from '../../src/daemon/server.js';
import { generateSecretKey } from '../../src/secret-key.js';

const TOKEN = 'secrets-token-' + 'x'.repeat(20);
const PASSWORD = 'api-password-5f0c2e8b7a9d4c1e';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

let rt: Runtime;
let app: FastifyInstance;

beforeAll(async () => {
  rt = await Runtime.open({ inMemory: true, threads: 1, logger: pino({ level: 'silent' }) });
  app = await buildServer(rt, { token: TOKEN });
});

afterAll(async () => {
  await app?.close();
  await rt?.close();
});

interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
  text: string;
}

async function call(method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await app.inject({ method, url, headers, ...(body !== undefined && { payload: JSON.stringify(body) }) });
  return { status: res.statusCode, body: res.json(), text: res.body };
}

async function failsWith(answer: Promise<Answer>, status: number, code: string): Promise<Answer> {
  const res = await answer;
  expect({ status: res.status, code: res.body.error?.code }, res.text).toEqual({ status, code });
  expect(typeof res.body.error?.message).toBe('string');
  return res;
}

describe('constants', () => {
  it('PUT sets, GET reads, GET lists by prefix and page, DELETE deletes', async () => {
    const put = await call('PUT', '/api/v1/constants/smtp%2Fhost', { value: 'mail.example.com' });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      name: 'smtp/host',
      value: 'mail.example.com',
      updatedAt: expect.stringMatching(ISO) as string,
    });
    await call('PUT', '/api/v1/constants/smtp%2Fport', { value: '25' });
    await call('PUT', '/api/v1/constants/region', { value: 'eu' });

    expect((await call('GET', '/api/v1/constants/smtp%2Fhost')).body).toEqual(put.body);
    const all = await call('GET', '/api/v1/constants');
    expect((all.body.items as Array<{ name: string }>).map((c) => c.name)).toEqual([
      'region',
      'smtp/host',
      'smtp/port',
    ]);
    const page = await call('GET', '/api/v1/constants?prefix=smtp%2F&limit=1');
    expect(page.body).toMatchObject({ items: [{ name: 'smtp/host' }], cursor: 'smtp/host' });
    const next = await call('GET', '/api/v1/constants?prefix=smtp%2F&limit=1&cursor=smtp%2Fhost');
    expect(next.body).toEqual({ items: [expect.objectContaining({ name: 'smtp/port', value: '25' })] });

    expect(await call('DELETE', '/api/v1/constants/region')).toMatchObject({ status: 200, body: { deleted: true } });
    await failsWith(call('GET', '/api/v1/constants/region'), 404, 'CONSTANT_NOT_FOUND');
  });

  it('answers 4xx with an error body for what it refuses', async () => {
    await failsWith(call('GET', '/api/v1/constants/missing'), 404, 'CONSTANT_NOT_FOUND');
    await failsWith(call('DELETE', '/api/v1/constants/missing'), 404, 'CONSTANT_NOT_FOUND');
    await failsWith(call('GET', '/api/v1/constants/bad%20name'), 400, 'INVALID_NAME');
    await failsWith(call('PUT', '/api/v1/constants/c', { value: 3 }), 400, 'INVALID_REQUEST');
    await failsWith(call('PUT', '/api/v1/constants/c', {}), 400, 'INVALID_REQUEST');
    await failsWith(call('PUT', '/api/v1/constants/c', { value: 'v', extra: 1 }), 400, 'INVALID_REQUEST');
    await failsWith(call('PUT', '/api/v1/constants/c', { value: 'x'.repeat(65_537) }), 400, 'INVALID_REQUEST');
    await failsWith(call('GET', '/api/v1/constants?limit=0'), 400, 'INVALID_REQUEST');
    await failsWith(call('GET', '/api/v1/constants?unknown=1'), 400, 'INVALID_REQUEST');
  });
});

describe('credentials', () => {
  it('PUT sets (no password in the answer), GET /:name reads with it, GET lists without, DELETE deletes', async () => {
    const put = await call('PUT', '/api/v1/credentials/crm', { username: 'robot', password: PASSWORD });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ name: 'crm', username: 'robot', updatedAt: expect.stringMatching(ISO) as string });
    expect(put.text).not.toContain(PASSWORD);

    const get = await call('GET', '/api/v1/credentials/crm');
    expect(get.body).toEqual({ ...put.body, password: PASSWORD });

    const list = await call('GET', '/api/v1/credentials');
    expect(list.body).toEqual({ items: [put.body] });
    expect(list.text).not.toContain(PASSWORD);

    expect(await call('DELETE', '/api/v1/credentials/crm')).toMatchObject({ status: 200, body: { deleted: true } });
    await failsWith(call('GET', '/api/v1/credentials/crm'), 404, 'CREDENTIAL_NOT_FOUND');
  });

  it('answers 4xx with an error body for what it refuses, never naming the password', async () => {
    await failsWith(call('GET', '/api/v1/credentials/missing'), 404, 'CREDENTIAL_NOT_FOUND');
    await failsWith(call('DELETE', '/api/v1/credentials/missing'), 404, 'CREDENTIAL_NOT_FOUND');
    await failsWith(
      call('PUT', '/api/v1/credentials/bad%20name', { username: 'u', password: PASSWORD }),
      400,
      'INVALID_NAME',
    );
    for (const body of [
      { username: 'u' },
      { password: PASSWORD },
      { username: 'u', password: 42 },
      { username: 'u', password: PASSWORD, extra: PASSWORD },
      { username: 'u', password: PASSWORD + 'x'.repeat(16_384) },
    ]) {
      const res = await failsWith(call('PUT', '/api/v1/credentials/c', body), 400, 'INVALID_REQUEST');
      expect(res.text).not.toContain(PASSWORD);
    }
    expect((await call('GET', '/api/v1/credentials')).body).toEqual({ items: [] });
  });

  it('POST /credentials/rotate-key re-encrypts them all', async () => {
    await call('PUT', '/api/v1/credentials/a', { username: 'a', password: PASSWORD });
    await call('PUT', '/api/v1/credentials/b', { username: 'b', password: PASSWORD });
    const rotated = await call('POST', '/api/v1/credentials/rotate-key', { key: generateSecretKey() });
    expect(rotated).toMatchObject({ status: 200, body: { rotated: 2 } });
    expect((await call('GET', '/api/v1/credentials/b')).body.password).toBe(PASSWORD);
    // A credential named like the route is still a credential.
    await call('PUT', '/api/v1/credentials/rotate-key', { username: 'r', password: PASSWORD });
    expect((await call('GET', '/api/v1/credentials/rotate-key')).body.username).toBe('r');

    await failsWith(call('POST', '/api/v1/credentials/rotate-key', { key: 'short' }), 400, 'INVALID_ARGUMENT');
    await failsWith(call('POST', '/api/v1/credentials/rotate-key', {}), 400, 'INVALID_REQUEST');
    await failsWith(call('POST', '/api/v1/credentials/rotate-key', { key: 'x'.repeat(65) }), 400, 'INVALID_REQUEST');
  });

  it('answers 409 SECRET_KEY_MISMATCH, with its message, when the key does not open a credential', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-secrets-api-'));
    const open = (secretKey: string) =>
      Runtime.open({ dataDir, secretKey, threads: 1, logger: pino({ level: 'silent' }) });
    try {
      const first = await open(generateSecretKey());
      await first.credentials.set('x', { username: 'u', password: PASSWORD });
      await first.close();
      const second = await open(generateSecretKey());
      const server = await buildServer(second, { token: TOKEN });
      try {
        const res = await server.inject({
          method: 'GET',
          url: '/api/v1/credentials/x',
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        const body = res.json<{ error: { code: string; message: string } }>();
        expect({ status: res.statusCode, code: body.error.code }).toEqual({ status: 409, code: 'SECRET_KEY_MISMATCH' });
        expect(body.error.message).toContain('secret key');
        expect(res.body).not.toContain(PASSWORD);
      } finally {
        await server.close();
        await second.close();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
