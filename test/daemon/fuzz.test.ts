/**
 * Fuzzes the daemon's HTTP API: fast-check generates malformed requests over every route
 * (wrong types, huge strings, bad JSON, unknown fields, path tricks, very long ids, wrong
 * methods and content types, querystring junk, numbers out of range), sent 16 at a time
 * over raw HTTP (node:http keeps `..` and `%00` as written). Every answer must be below 500
 * and every 4xx must carry `{ error: { code, message } }`; so must answers to bytes that are
 * not HTTP at all (sent on a raw socket). Afterwards the daemon still answers /health and
 * runs a workflow. Generated workflows are only `echo` or names that exist nowhere, and
 * generated waits are short, so nothing waits long, and no activity writes files.
 */
import http from 'node:http';
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startDaemon, type DaemonProcess } from '../fixtures/daemon.js';

/** Requests per fast-check run, sent at once. */
const CONCURRENCY = 16;
const RUNS = 200; // 200 × 16 = 3,200 requests
const KNOWN_ID = 'fuzz-known';

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

interface Answer {
  status: number;
  text: string;
}

let daemon: DaemonProcess;
let agent: http.Agent;
let sent = 0;

beforeAll(async () => {
  // `process` durability: the fuzz creates many executions and settings; fsync on each is slow and beside the point.
  daemon = await startDaemon({ args: ['--durability', 'process'] });
  agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const known = await api(daemon, 'POST', '/api/v1/executions', {
    body: { workflow: 'echo', input: ['known'], id: KNOWN_ID },
  });
  expect(known.status, known.text).toBe(201);
});

afterAll(async () => {
  agent?.destroy();
  await daemon?.stop();
});

function send(request: FuzzRequest): Promise<Answer> {
  const { hostname, port } = new URL(daemon.url);
  return new Promise((resolve, reject) => {
    // An explicit length: node sends a GET's body unframed otherwise, and the server would read it as the next request.
    const length = request.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(request.body)) };
    const headers = { ...request.headers, ...length };
    const req = http.request({ agent, hostname, port, method: request.method, path: request.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end(request.body);
  });
}

/** Writes `raw` bytes on a fresh connection; answers the status and body the server sends before it closes. */
function sendRaw(raw: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(daemon.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.end(raw));
    const chunks: Buffer[] = [];
    socket.setTimeout(30_000, () => socket.destroy(new Error('no answer within 30 s')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      const headerEnd = text.indexOf('\r\n\r\n');
      resolve({ status, body: headerEnd < 0 ? '' : text.slice(headerEnd + 4) });
    });
  });
}

/** What is wrong with an answer, or undefined when it is acceptable. */
function problem(request: FuzzRequest, answer: Answer): string | undefined {
  if (answer.status >= 500) return `status ${answer.status}`;
  if (answer.status < 400 || request.method === 'HEAD') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return `a ${answer.status} whose body is not JSON`;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (typeof error?.code !== 'string' || typeof error.message !== 'string' || error.message.length === 0)
    return `a ${answer.status} without { error: { code, message } }`;
  return undefined;
}

function clip(text: string, max = 300): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;
}

function describeRequest(r: FuzzRequest): string {
  return `${r.method} ${clip(r.path, 200)} headers=${clip(JSON.stringify(r.headers), 200)} body=${clip(r.body ?? '(none)')}`;
}

// ---- generators ----

const huge = fc
  .tuple(fc.constantFrom('x', 'é', '"', '\\', '\u0000', '\u2028', '😀'), fc.integer({ min: 100_000, max: 160_000 }))
  .map(([c, n]) => c.repeat(Math.ceil(n / c.length)));

/** Numbers a schema should refuse: negatives, fractions, beyond every documented range, huge. */
const outOfRange = fc.constantFrom(-1, -0.5, 0.5, 1.5, 1001, 300_001, 86_400_001, 2 ** 53, 1e308, -1e308, 1e-9);

const junkString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.constantFrom('', ' ', '\u0000', '../../etc/passwd', '%00', '<script>', "'; DROP TABLE x; --", '__proto__'),
);

/** Any JSON value, including the wrong kinds for every field. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: junkString },
  { weight: 2, arbitrary: outOfRange },
  { weight: 1, arbitrary: huge },
  {
    weight: 1,
    arbitrary: fc.constant(JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}')),
  },
);

/** Workflow names: `echo`, or a name no workflow has (the `~` is in none), or the wrong type. */
const workflowName = fc.oneof(
  fc.constant('echo'),
  junkString.map((s) => `${s}~`),
  anyJson,
);

const numberField = fc.oneof(fc.integer({ min: 0, max: 100_000 }), outOfRange, anyJson);
/** Waits (timeoutMs) are kept short or invalid so that no request can legitimately hang. */
const shortWait = fc.oneof(
  fc.integer({ min: 0, max: 20 }),
  outOfRange,
  fc.constantFrom('soon', '', 'x1', null, true, [], {}),
);

/** `arb`'s value one time in `every`, else undefined. */
function rarely<T>(arb: fc.Arbitrary<T>, every: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: every - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
}

function withJunkFields(record: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(record, rarely(fc.dictionary(fc.string({ maxLength: 12 }), anyJson, { minKeys: 1, maxKeys: 3 }), 4))
    .map(([r, extra]) => (extra ? { ...extra, ...r } : r));
}

/** Valid setting and lock names, so that requests also reach the registry and not only validation. */
const validName = fc.stringMatching(/^[a-z][a-z0-9.]{0,10}$/);
const smallJson = fc.jsonValue({ maxDepth: 2 });
const fuzzId = fc.stringMatching(/^[0-9a-f]{1,8}$/).map((s) => `fuzz-${s}`);

/** Per route: a body that is (mostly) valid, one time in three; else one with junk in every field. */
function body(
  valid: fc.Arbitrary<Record<string, unknown>>,
  junk: fc.Arbitrary<Record<string, unknown>>,
): fc.Arbitrary<Record<string, unknown>> {
  return fc.oneof({ weight: 1, arbitrary: valid }, { weight: 2, arbitrary: withJunkFields(junk) });
}

const bodies: Record<string, fc.Arbitrary<unknown>> = {
  start: body(
    fc.record(
      { workflow: fc.constant('echo'), input: fc.array(smallJson, { maxLength: 3 }), id: fuzzId },
      { requiredKeys: ['workflow'] },
    ),
    fc.record(
      {
        workflow: workflowName,
        input: fc.oneof(
          fc.array(anyJson, { maxLength: 3 }),
          fc.record({ args: fc.oneof(fc.array(anyJson, { maxLength: 3 }), anyJson), kwargs: anyJson }),
          anyJson,
        ),
        id: fc.oneof(fc.constant(KNOWN_ID), junkString, fc.string({ minLength: 300, maxLength: 3000 }), anyJson),
      },
      { requiredKeys: [] },
    ),
  ),
  signal: body(
    fc.record({ name: fc.constantFrom('go', 'stop'), payload: smallJson }, { requiredKeys: ['name'] }),
    fc.record({ name: fc.oneof(junkString, anyJson), payload: anyJson }, { requiredKeys: [] }),
  ),
  cancel: body(
    fc.record({ reason: fc.string() }, { requiredKeys: [] }),
    fc.record({ reason: fc.oneof(junkString, anyJson) }, { requiredKeys: [] }),
  ),
  settingCreate: body(
    fc.record(
      { name: validName, value: smallJson, updatedBy: fc.constant('fuzz') },
      { requiredKeys: ['name', 'value'] },
    ),
    fc.record({ name: fc.oneof(junkString, anyJson), value: anyJson, updatedBy: anyJson }, { requiredKeys: [] }),
  ),
  settingPatch: body(
    fc.record({ value: smallJson, expectedVersion: fc.integer({ min: 1, max: 4 }) }, { requiredKeys: ['value'] }),
    fc.record({ value: anyJson, expectedVersion: numberField, updatedBy: anyJson }, { requiredKeys: [] }),
  ),
  acquire: body(
    fc.record(
      {
        holder: fc.constantFrom('fuzz-a', 'fuzz-b'),
        ttlMs: fc.integer({ min: 1, max: 60_000 }),
        timeoutMs: fc.integer({ min: 0, max: 20 }),
      },
      { requiredKeys: [] },
    ),
    fc.record(
      { holder: fc.oneof(junkString, anyJson), ttlMs: numberField, timeoutMs: shortWait },
      { requiredKeys: [] },
    ),
  ),
  token: body(
    fc.record({ token: fc.integer({ min: 1, max: 200 }) }),
    fc.record({ token: numberField }, { requiredKeys: [] }),
  ),
  none: anyJson,
};

/** Path segments: real and unknown ids, traversal, NULs, bad escapes, very long ids. */
const segment = fc.oneof(
  { weight: 3, arbitrary: fc.constant(KNOWN_ID) },
  { weight: 2, arbitrary: fc.oneof(fuzzId, validName) },
  { weight: 3, arbitrary: fc.string().map(encodeURIComponent) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '..%2f..%2fetc',
      '..%2f..%2fetc%2fpasswd',
      '%00',
      'a%00b',
      '..',
      '.',
      '%2e%2e',
      '%',
      '%zz',
      '%c0%af',
      '%ff%fe',
      '%u0000',
      '%252e%252e',
      'x;y=z',
      '*',
      '~',
      "'",
      '"',
      '%0d%0aSet-Cookie:x=y',
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 101, max: 8000 }).map((n) => 'i'.repeat(n)) },
);

/** Every route, with the body kind it takes. `:s` is a path segment. */
const ROUTES: Array<{ method: string; path: string; body: keyof typeof bodies }> = [
  { method: 'GET', path: '/health', body: 'none' },
  { method: 'GET', path: '/metrics', body: 'none' },
  { method: 'GET', path: '/api/v1/openapi.json', body: 'none' },
  { method: 'POST', path: '/api/v1/executions', body: 'start' },
  { method: 'GET', path: '/api/v1/executions', body: 'none' },
  { method: 'GET', path: '/api/v1/executions/:s', body: 'none' },
  { method: 'GET', path: '/api/v1/executions/:s/history', body: 'none' },
  { method: 'GET', path: '/api/v1/executions/:s/tasks', body: 'none' },
  { method: 'GET', path: '/api/v1/executions/:s/profile', body: 'none' },
  { method: 'GET', path: '/api/v1/executions/:s/logs', body: 'none' },
  { method: 'GET', path: '/api/v1/executions/:s/result', body: 'none' },
  { method: 'POST', path: '/api/v1/executions/:s/signals', body: 'signal' },
  { method: 'POST', path: '/api/v1/executions/:s/cancel', body: 'cancel' },
  { method: 'POST', path: '/api/v1/settings', body: 'settingCreate' },
  { method: 'GET', path: '/api/v1/settings', body: 'none' },
  { method: 'GET', path: '/api/v1/settings/:s', body: 'none' },
  { method: 'PATCH', path: '/api/v1/settings/:s', body: 'settingPatch' },
  { method: 'DELETE', path: '/api/v1/settings/:s', body: 'none' },
  { method: 'GET', path: '/api/v1/locks', body: 'none' },
  { method: 'POST', path: '/api/v1/locks/:s/acquire', body: 'acquire' },
  { method: 'POST', path: '/api/v1/locks/:s/renew', body: 'token' },
  { method: 'POST', path: '/api/v1/locks/:s/release', body: 'token' },
  { method: 'GET', path: '/api/v1/:s', body: 'none' },
  { method: 'GET', path: '/:s', body: 'none' },
];

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'PURGE'];

const QUERY_KEYS = ['status', 'workflow', 'since', 'limit', 'cursor', 'level', 'follow', 'timeoutMs', 'by', 'prefix'];

const queryValue = fc.oneof(
  fc.constantFrom('SUCCESS', 'RUNNING', 'bogus', 'name', 'id', '1', '0', '-1', 'true', '', 'fatal', 'nope'),
  outOfRange.map(String),
  fc.string().map(encodeURIComponent),
  fc.constantFrom('%zz', '%00', '%', '1e999', 'NaN', 'Infinity', '2026-13-45T99:99:99Z', '[object%20Object]'),
  fc.integer({ min: 0, max: 1000 }).map(String),
);

const query = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  {
    weight: 6,
    arbitrary: fc
      .array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string().map(encodeURIComponent)), queryValue), {
        maxLength: 5,
      })
      .map((pairs) => (pairs.length ? '?' + pairs.map(([k, v]) => `${k}=${v}`).join('&') : '')),
  },
  { weight: 1, arbitrary: fc.constantFrom('?', '?&&&', '?=', '?a', '?limit', '?limit=1&limit=2', '?%zz=1', '?a[b]=c') },
);

const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'application/xml',
      'application/octet-stream',
      'application/jsonx',
      'json',
      '*/*',
      '',
    ),
  },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const authorization = fc.oneof(
  { weight: 12, arbitrary: fc.constant('valid') },
  { weight: 1, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('Bearer', 'Bearer ', 'Basic abc', 'bearer wrong', 'Bearer ' + 'x'.repeat(4000)),
  },
);

/** A body as sent: JSON of the route's body (usually), or raw junk, or nothing. */
function rawBody(kind: keyof typeof bodies): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 40, arbitrary: bodies[kind]!.map((v) => JSON.stringify(v)) },
    {
      weight: 12,
      arbitrary: fc.constantFrom(
        '{',
        '{"workflow":',
        'nul',
        '[1,2',
        '"unterminated',
        '\u0000',
        '{"a":1}{"b":2}',
        "{'single':'quotes'}",
        '{"workflow":"echo",}',
        'null',
        '[]',
        '42',
        '"a string"',
        'true',
        '',
        ' ',
        '\ufeff{}',
        '{"__proto__":{"polluted":true}}',
        '{"constructor":{"prototype":{"polluted":true}}}',
        '['.repeat(10_000) + ']'.repeat(10_000),
        '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000),
      ),
    },
    { weight: 8, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    { weight: 8, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.integer({ min: 1_048_577, max: 1_200_000 }).map((n) => `"${'y'.repeat(n)}"`) },
  );
}

const request: fc.Arbitrary<FuzzRequest> = fc
  .record({
    route: fc.constantFrom(...ROUTES),
    wrongMethod: rarely(fc.constantFrom(...METHODS), 6),
    segment,
    query,
    contentType,
    authorization,
    bodyKind: rarely(fc.constantFrom(...Object.keys(bodies)), 8),
  })
  .chain((r) =>
    rawBody(r.bodyKind ?? r.route.body).map((body): FuzzRequest => {
      const headers: Record<string, string> = {};
      if (r.authorization === 'valid') headers.authorization = `Bearer ${daemon.token}`;
      else if (r.authorization !== undefined) headers.authorization = r.authorization;
      if (body !== undefined && r.contentType !== undefined) headers['content-type'] = r.contentType;
      const fuzzed: FuzzRequest = {
        method: r.wrongMethod ?? r.route.method,
        path: r.route.path.replace(':s', r.segment) + r.query,
        headers,
        ...(body !== undefined && { body }),
      };
      // fast-check prints counterexamples with this: keep huge bodies readable.
      return Object.assign(fuzzed, { [fc.toStringMethod]: () => describeRequest(fuzzed) });
    }),
  );

describe('the HTTP API under malformed requests', () => {
  it(`answers ${RUNS * CONCURRENCY} fuzzed requests below 500, every 4xx with { error: { code, message } }`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: CONCURRENCY, maxLength: CONCURRENCY }), async (batch) => {
        const failures: string[] = [];
        await Promise.all(
          batch.map(async (r) => {
            let answer: Answer;
            try {
              answer = await send(r);
            } catch (err) {
              failures.push(`${describeRequest(r)}\n  → no answer: ${(err as Error).message}`);
              return;
            } finally {
              sent++;
            }
            const wrong = problem(r, answer);
            if (wrong !== undefined)
              failures.push(`${describeRequest(r)}\n  → ${wrong}: ${answer.status} ${clip(answer.text)}`);
          }),
        );
        if (failures.length > 0) throw new Error(failures.join('\n'));
      }),
      { numRuns: RUNS },
    );
    expect(sent).toBeGreaterThanOrEqual(2000);
  });

  it.each([
    ['a request line that is not HTTP', 'GARBAGE\r\n\r\n'],
    ['a URL past the header size limit', `GET /api/v1/executions/${'i'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['a header with a control character', 'GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n'],
    [
      'a Content-Length that is not a number',
      'POST /api/v1/executions HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n',
    ],
  ])('answers %s (rejected before routing) with a 4xx and { error: { code, message } }', async (_what, raw) => {
    const { status, body } = await sendRaw(raw);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    const error = (JSON.parse(body) as { error?: { code?: unknown; message?: unknown } }).error;
    expect(typeof error?.code, body).toBe('string');
    expect(typeof error?.message, body).toBe('string');
  });

  it('still answers /health and runs a workflow to the end afterwards', async () => {
    const health = await api(daemon, 'GET', '/health', { token: null });
    expect(health.status).toBe(200);
    const started = await api<{ id: string }>(daemon, 'POST', '/api/v1/executions', {
      body: { workflow: 'echo', input: [{ after: 'fuzz' }] },
    });
    expect(started.status, started.text).toBe(201);
    const result = await api<{ status: string; result: unknown }>(
      daemon,
      'GET',
      `/api/v1/executions/${started.body.id}/result?timeoutMs=30000`,
    );
    expect(result.status, result.text).toBe(200);
    expect(result.body).toMatchObject({ status: 'SUCCESS', result: { after: 'fuzz' } });
  });
});
