import SuperJSON from 'superjson';
import { InvalidValueError } from '../errors.js';

/**
 * Values are stored as strings with a one-character tag: `J` for plain JSON, `S` for
 * superjson. superjson is about 10x slower than JSON, so it is used only for values plain
 * JSON would mangle (Date, Map, Set, BigInt, undefined, NaN, -0, RegExp, typed arrays…).
 */
export function encodeValue(value: unknown): string {
  const plain = classify(value, 0);
  if (plain) return 'J' + JSON.stringify(value);
  try {
    return 'S' + SuperJSON.stringify(value);
  } catch (cause) {
    throw new InvalidValueError(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

export function decodeValue<T = unknown>(encoded: string): T {
  const body = encoded.slice(1);
  switch (encoded[0]) {
    case 'J':
      return JSON.parse(body) as T;
    case 'S':
      return SuperJSON.parse<T>(body);
    default:
      throw new InvalidValueError(`unknown encoding tag ${JSON.stringify(encoded[0])}`);
  }
}

const MAX_DEPTH = 1000;
const SUPERJSON_CLASSES: ReadonlyArray<abstract new (...args: never[]) => unknown> = [Date, RegExp, URL, Error];
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * True when JSON round-trips `value` exactly; false when superjson is needed. Throws for
 * what neither can store: superjson silently drops functions and chokes on symbols and on
 * `constructor`/`prototype`/`__proto__` keys, so those are refused here with a clear reason.
 */
function classify(value: unknown, depth: number): boolean {
  if (depth > MAX_DEPTH) throw new InvalidValueError(`nested deeper than ${MAX_DEPTH} levels (or cyclic)`);
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'undefined':
    case 'bigint':
      return false;
    case 'function':
      throw new InvalidValueError('functions cannot be stored');
    case 'symbol':
      throw new InvalidValueError('symbols cannot be stored');
  }
  if (value === null) return true;
  if (Array.isArray(value)) {
    let plain = true;
    for (let i = 0; i < value.length; i++) {
      // Neither JSON nor superjson keeps a hole: both turn it into null.
      if (!(i in value)) throw new InvalidValueError('sparse arrays cannot be stored; fill the holes');
      if (!classify(value[i], depth + 1)) plain = false;
    }

    return plain;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    // superjson stores these faithfully; any other class would come back as a plain object.
    if (value instanceof Map || value instanceof Set) {
      const members = value instanceof Map ? [...value.keys(), ...value.values()] : [...value];
      for (const v of members) classify(v, depth + 1);
    } else if (!SUPERJSON_CLASSES.some((C) => value instanceof C) && !ArrayBuffer.isView(value)) {
      const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'an unknown class';
      throw new InvalidValueError(`instances of ${name} cannot be stored; convert them to plain data`);
    }
    return false;
  }
  let plain = true;
  for (const key of Object.keys(value as object)) {
    if (FORBIDDEN_KEYS.has(key))
      throw new InvalidValueError(`objects with a ${JSON.stringify(key)} key cannot be stored`);
    if (!classify((value as Record<string, unknown>)[key], depth + 1)) plain = false;
  }
  if (Object.getOwnPropertySymbols(value).length > 0)
    throw new InvalidValueError('symbol-keyed properties cannot be stored');
  return plain;
}
