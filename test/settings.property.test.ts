/**
 * Property tests of rt.settings against a real Runtime on LevelDB:
 * - compare-and-set under contention: N writers (2..50) send `update` with the same
 *   `expectedVersion` at once; exactly one wins, the rest get VERSION_CONFLICT naming the
 *   new version, and the version rises by exactly 1;
 * - a model: random bursts of create/update/delete/get (sent together, without waiting)
 *   and list() between bursts, each answer compared with a Map applied in send order.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime, WeftError, type Setting } from '../src/index.js';

let dir: string;
let rt: Runtime;
let run = 0;

// One runtime for the file; every property run works under a fresh name prefix.
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-'));
  rt = await Runtime.open({ dataDir: dir, durability: 'process', logger: pino({ level: 'silent' }) });
});
afterAll(async () => {
  await rt.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function codeOf(reason: unknown): string {
  return reason instanceof WeftError ? reason.code : `non-weft error: ${String(reason)}`;
}

describe('compare-and-set under contention', () => {
  it('lets exactly one of N writers with the same expectedVersion win; the version rises by 1', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 50 }),
        fc.nat(3),
        fc.array(fc.boolean(), { minLength: 50, maxLength: 50 }),
        async (n, earlierWrites, byId) => {
          const name = `cas-${++run}`;
          const created = await rt.settings.create(name, { writer: -1 });
          for (let i = 0; i < earlierWrites; i++) await rt.settings.update(name, { writer: -1, i });
          const v = 1 + earlierWrites;

          const results = await Promise.allSettled(
            Array.from({ length: n }, (_, writer) =>
              byId[writer]
                ? rt.settings.update(created.id, { writer }, { by: 'id', expectedVersion: v })
                : rt.settings.update(name, { writer }, { expectedVersion: v, updatedBy: `writer-${writer}` }),
            ),
          );

          const won = results.filter((r) => r.status === 'fulfilled');
          expect(won).toHaveLength(1);
          const winner = won[0]!.value as Setting<{ writer: number }>;
          expect(winner.version).toBe(v + 1);
          for (const r of results) {
            if (r.status === 'fulfilled') continue;
            expect(codeOf(r.reason)).toBe('VERSION_CONFLICT');
            expect((r.reason as WeftError).context).toMatchObject({ name, expectedVersion: v, currentVersion: v + 1 });
          }
          const now = await rt.settings.get<{ writer: number }>(name);
          expect(now?.version).toBe(v + 1);
          expect(now?.value).toEqual(winner.value);
        },
      ),
      { numRuns: 60, interruptAfterTimeLimit: 40_000 }, // a time limit keeps a slow shrink inside the test timeout
    );
  });
});

// ---- the model ----

const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'];
/** Strings with the awkward characters too: lone surrogates, NUL, line separators, emoji. */
const text = fc.string({
  maxLength: 6,
  unit: fc.oneof(
    fc.constantFrom('\ud800', '\udfff', '\u0000', '\u2028', '😀', 'é', '"', '\\'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
});
const leaf = fc.oneof(
  fc.integer(),
  fc.double(), // NaN, -0 and ±Infinity included
  text,
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
  fc.date({ noInvalidDate: true }),
);
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      text.filter((k) => !FORBIDDEN_KEYS.includes(k)),
      tie('value'),
      { maxKeys: 4 },
    ),
    fc.array(fc.tuple(text, tie('value')), { maxLength: 3 }).map((entries) => new Map(entries)),
    fc.uniqueArray(fc.oneof(fc.integer(), text), { maxLength: 4 }).map((items) => new Set(items)),
  ),
}));

/** A small pool of names, so operations collide; `list` prefixes cut across it. */
const NAMES = ['a', 'b', 'c', 'a.b', 'a/b', 'a/c', 'b-1', 'ab', 'a:1', 'c@x'];
const PREFIXES = ['', 'a', 'a/', 'b', 'c@', 'z'];

type Op =
  | { t: 'create'; name: string; value: unknown }
  | { t: 'update'; name: string; value: unknown; cas: 'none' | 'current' | 'stale'; byId: boolean }
  | { t: 'delete'; name: string; byId: boolean }
  | { t: 'get'; name: string; byId: boolean };
type Step = { t: 'burst'; ops: Op[] } | { t: 'list'; prefix: string; limit: number };

const nameArb = fc.constantFrom(...NAMES);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('create' as const), name: nameArb, value }),
  fc.record({
    t: fc.constant('update' as const),
    name: nameArb,
    value,
    cas: fc.constantFrom('none' as const, 'current' as const, 'stale' as const),
    byId: fc.boolean(),
  }),
  fc.record({ t: fc.constant('delete' as const), name: nameArb, byId: fc.boolean() }),
  fc.record({ t: fc.constant('get' as const), name: nameArb, byId: fc.boolean() }),
);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ t: fc.constant('burst' as const), ops: fc.array(opArb, { minLength: 1, maxLength: 6 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('list' as const),
      prefix: fc.constantFrom(...PREFIXES),
      limit: fc.integer({ min: 1, max: 4 }),
    }),
  },
);

interface Entry {
  value: unknown;
  version: number;
  /** Known once the create's answer arrives; by-id operations wait for it. */
  id?: string;
}

/** What an operation must answer: a value to compare, or an error code. */
type Expected = { ok: unknown } | { code: string };

describe('settings against a Map model', () => {
  it('answer every create/update/delete/get/list as the model does, in send order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 40, size: 'max' }), async (steps) => {
        const prefix = `m${++run}/`;
        const model = new Map<string, Entry>();
        /** Ids of settings deleted in this run: by-id reads of them find nothing. */
        const goneIds: string[] = [];

        for (const step of steps) {
          if (step.t === 'list') {
            const names: string[] = [];
            let cursor: string | undefined;
            let pages = 0;
            do {
              if (++pages > NAMES.length + 1) throw new Error(`list of ${step.prefix} pages on for ever`);
              const page = await rt.settings.list({
                prefix: prefix + step.prefix,
                limit: step.limit,
                ...(cursor !== undefined && { cursor }),
              });
              expect(page.items.length).toBeLessThanOrEqual(step.limit);
              for (const s of page.items) {
                names.push(s.name.slice(prefix.length));
                const m = model.get(s.name.slice(prefix.length));
                expect(m && { value: s.value, version: s.version }).toEqual(
                  m && { value: m.value, version: m.version },
                );
              }
              cursor = page.cursor;
            } while (cursor !== undefined);
            const expected = [...model.keys()].filter((n) => n.startsWith(step.prefix)).sort();
            expect(names).toEqual(expected);
            continue;
          }

          // Send the whole burst at once, applying each op to the model as it is sent.
          const sent: Array<{ op: Op; expected: Expected; answer: Promise<unknown> }> = [];
          for (const op of step.ops) {
            const entry = model.get(op.name);
            const byId = 'byId' in op && op.byId && entry?.id !== undefined;
            const key = byId ? entry.id! : prefix + op.name;
            const opts = byId ? { by: 'id' as const } : {};
            let expected: Expected;
            let answer: Promise<unknown>;
            switch (op.t) {
              case 'create':
                expected = entry ? { code: 'SETTING_EXISTS' } : { ok: { value: op.value, version: 1 } };
                if (!entry) model.set(op.name, { value: op.value, version: 1 });
                answer = rt.settings.create(key, op.value);
                break;
              case 'update': {
                const current = entry?.version ?? 1;
                const expectedVersion = op.cas === 'none' ? undefined : op.cas === 'current' ? current : current + 1;
                if (!entry) expected = { code: 'SETTING_NOT_FOUND' };
                else if (expectedVersion !== undefined && expectedVersion !== entry.version)
                  expected = { code: 'VERSION_CONFLICT' };
                else {
                  entry.value = op.value;
                  entry.version++;
                  expected = { ok: { value: op.value, version: entry.version } };
                }
                answer = rt.settings.update(key, op.value, {
                  ...opts,
                  ...(expectedVersion !== undefined && { expectedVersion }),
                });
                break;
              }
              case 'delete':
                expected = { ok: entry !== undefined };
                if (entry) model.delete(op.name);
                if (entry?.id !== undefined) goneIds.push(entry.id);
                answer = rt.settings.delete(key, opts);
                break;
              case 'get':
                expected = { ok: entry && { value: entry.value, version: entry.version } };
                answer = rt.settings.get(key, opts);
                break;
            }
            sent.push({ op, expected, answer });
            // The id a create gets is known only from its answer.
            if (op.t === 'create' && !entry) {
              const created = model.get(op.name)!;
              answer.then(
                (s) => (created.id = (s as Setting).id),
                () => undefined,
              );
            }
          }

          for (const { op, expected, answer } of sent) {
            const got = await answer.then(
              (r) => ({
                ok:
                  r !== null && typeof r === 'object'
                    ? { value: (r as Setting).value, version: (r as Setting).version }
                    : r,
              }),
              (err: unknown) => ({ code: codeOf(err) }),
            );
            expect({ op, got }).toEqual({ op, got: expected });
          }
        }

        // Ids of deleted settings find nothing; ids of live ones find them.
        for (const id of goneIds) expect(await rt.settings.get(id, { by: 'id' })).toBeUndefined();
        for (const [name, entry] of model)
          if (entry.id !== undefined) expect((await rt.settings.get(entry.id, { by: 'id' }))?.name).toBe(prefix + name);
      }),
      { numRuns: 100, interruptAfterTimeLimit: 40_000 },
    );
  });
});
