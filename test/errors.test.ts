/**
 * The error classes: each exported one has its stable `code` and its class `name`, a frozen
 * `context`, keeps `cause`, and survives toJSON() → (JSON or structured clone) → errorFromJSON().
 */
import { describe, expect, it } from 'vitest';
import {
  AbortedError,
  InvalidArgumentError,
  InvalidNameError,
  InvalidValueError,
  LeaseExpiredError,
  LockAbandonedError,
  LockAlreadyHeldError,
  LockAlreadyWaitingError,
  LockTimeoutError,
  NotLockHolderError,
  RuntimeClosedError,
  SettingExistsError,
  SettingNotFoundError,
  StaleTokenError,
  StoreFailedError,
  StoreLockedError,
  VersionConflictError,
  WeftError,
  errorFromJSON,
  type ErrorCode,
  type SerializedError,
} from '../src/index.js';
import { ReaderTooSlowError } from '../src/errors.js';

const cause = new Error('disk on fire');

/** One instance of every exported error class, with its expected code and context. */
const cases: Array<[string, WeftError, ErrorCode, Record<string, unknown>]> = [
  ['AbortedError', new AbortedError('acquire of lock x'), 'ABORTED', { what: 'acquire of lock x' }],
  ['InvalidArgumentError', new InvalidArgumentError('limit', 'too big'), 'INVALID_ARGUMENT', { argument: 'limit' }],
  [
    'InvalidNameError',
    new InvalidNameError('setting name', 'a b', 'no spaces'),
    'INVALID_NAME',
    { what: 'setting name', name: 'a b' },
  ],
  [
    'InvalidValueError',
    new InvalidValueError('functions cannot be stored'),
    'INVALID_VALUE',
    {
      reason: 'functions cannot be stored',
    },
  ],
  ['LeaseExpiredError', new LeaseExpiredError('l', 7), 'LEASE_EXPIRED', { name: 'l', token: 7 }],
  ['LockAbandonedError', new LockAbandonedError('l', 'exec-1'), 'LOCK_ABANDONED', { name: 'l', holder: 'exec-1' }],
  [
    'LockAlreadyHeldError',
    new LockAlreadyHeldError('l', 'exec-1', 3),
    'LOCK_ALREADY_HELD',
    { name: 'l', holder: 'exec-1', token: 3 },
  ],
  [
    'LockAlreadyWaitingError',
    new LockAlreadyWaitingError('l', 'exec-1'),
    'LOCK_ALREADY_WAITING',
    { name: 'l', holder: 'exec-1' },
  ],
  [
    'LockTimeoutError',
    new LockTimeoutError('l', 'exec-1', 5000),
    'LOCK_TIMEOUT',
    { name: 'l', holder: 'exec-1', waitedMs: 5000 },
  ],
  ['NotLockHolderError', new NotLockHolderError('l', 9), 'NOT_LOCK_HOLDER', { name: 'l', token: 9 }],
  [
    'ReaderTooSlowError',
    new ReaderTooSlowError('log follow', 10_000),
    'READER_TOO_SLOW',
    { what: 'log follow', bufferedLines: 10_000 },
  ],
  ['RuntimeClosedError', new RuntimeClosedError(), 'RUNTIME_CLOSED', {}],
  ['SettingExistsError', new SettingExistsError('s'), 'SETTING_EXISTS', { name: 's' }],
  ['SettingNotFoundError', new SettingNotFoundError('abc', 'id'), 'SETTING_NOT_FOUND', { key: 'abc', by: 'id' }],
  ['StaleTokenError', new StaleTokenError('s', 4, 6), 'STALE_TOKEN', { name: 's', token: 4, currentToken: 6 }],
  ['StoreFailedError', new StoreFailedError('store write'), 'STORE_FAILED', { operation: 'store write' }],
  [
    'StoreLockedError',
    new StoreLockedError('/srv/weft-data', 'process 1 on host'),
    'STORE_LOCKED',
    { dataDir: '/srv/weft-data', holder: 'process 1 on host' },
  ],
  [
    'VersionConflictError',
    new VersionConflictError('s', 1, 3),
    'VERSION_CONFLICT',
    { name: 's', expectedVersion: 1, currentVersion: 3 },
  ],
  ['WeftError', new WeftError('STORE_FAILED', 'custom', { extra: [1, 2] }), 'STORE_FAILED', { extra: [1, 2] }],
];

describe.each(cases)('%s', (className, err, code, context) => {
  it('has its code, its class name, a message, and is a WeftError and an Error', () => {
    expect(err.code).toBe(code);
    expect(err.name).toBe(className);
    expect(err.constructor.name).toBe(className);
    expect(err).toBeInstanceOf(WeftError);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toEqual(expect.any(String));
    expect(err.message.length).toBeGreaterThan(0);
    expect(err.stack).toContain(className);
  });

  it('has a frozen context with the documented fields', () => {
    expect(err.context).toEqual(context);
    expect(Object.isFrozen(err.context)).toBe(true);
    expect(() => {
      (err.context as Record<string, unknown>).injected = 1;
    }).toThrow(TypeError);
    expect(err.context).not.toHaveProperty('injected');
  });

  it('round-trips code, name, message and context through toJSON() and errorFromJSON()', () => {
    const json = err.toJSON();
    expect(json).toMatchObject({ name: className, code, message: err.message, context });
    expect(['name', 'code', 'message', 'context', 'stack']).toEqual(expect.arrayContaining(Object.keys(json)));
    for (const wire of [json, structuredClone(json), JSON.parse(JSON.stringify(err)) as SerializedError]) {
      const back = errorFromJSON(wire);
      expect(back).toBeInstanceOf(WeftError);
      expect(back).toBeInstanceOf(Error);
      expect(back.code).toBe(code);
      expect(back.name).toBe(className);
      expect(back.message).toBe(err.message);
      expect(back.context).toEqual(context);
      expect(Object.isFrozen(back.context)).toBe(true);
      expect(back.toJSON()).toEqual(json);
    }
  });
});

describe('context', () => {
  it('is a copy: changing the object passed in or the JSON form changes nothing', () => {
    const input: Record<string, unknown> = { a: 1 };
    const err = new WeftError('INVALID_ARGUMENT', 'm', input);
    input.a = 2;
    const json = err.toJSON();
    json.context.a = 3;
    expect(err.context).toEqual({ a: 1 });
    const wire = err.toJSON();
    const rebuilt = errorFromJSON(wire);
    wire.context.a = 4;
    expect(rebuilt.context).toEqual({ a: 1 });
  });

  it('defaults to an empty frozen object', () => {
    const err = new WeftError('ABORTED', 'm');
    expect(err.context).toEqual({});
    expect(Object.isFrozen(err.context)).toBe(true);
  });

  it('StaleTokenError says when the lock is free', () => {
    const err = new StaleTokenError('s', 4, undefined);
    expect(err.context).toEqual({ name: 's', token: 4, currentToken: undefined });
    expect(errorFromJSON(structuredClone(err.toJSON())).context).toEqual(err.context);
  });
});

describe('cause', () => {
  it('is kept by the classes that take one', () => {
    expect(new InvalidValueError('bad', { cause }).cause).toBe(cause);
    expect(new StoreLockedError('/d', undefined, { cause }).cause).toBe(cause);
    expect(new StoreFailedError('journal fsync', { cause }).cause).toBe(cause);
    expect(new WeftError('STORE_FAILED', 'm', {}, { cause }).cause).toBe(cause);
  });

  it('is absent when none is given', () => {
    expect(new StoreFailedError('x').cause).toBeUndefined();
    expect('cause' in new RuntimeClosedError()).toBe(false);
  });

  it('StoreFailedError puts the cause in its message, StoreLockedError says who holds the folder', () => {
    expect(new StoreFailedError('journal fsync', { cause }).message).toContain('disk on fire');
    expect(new StoreLockedError('/d', 'process 42 on h').message).toContain('process 42 on h');
    expect(new StoreLockedError('/d', undefined).context).toEqual({ dataDir: '/d', holder: undefined });
  });
});

describe('InvalidNameError for names that are not strings', () => {
  it('can be built for a BigInt name', () => {
    expect(new InvalidNameError('setting name', 10n, 'it must be a string').code).toBe('INVALID_NAME');
  });

  it('serialises to a structured-clone-safe form for a symbol name', () => {
    const err = new InvalidNameError('holder', Symbol('h'), 'it must be a string');
    expect(() => structuredClone(err.toJSON())).not.toThrow();
  });
});
