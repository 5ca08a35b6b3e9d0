// The value codec: plain JSON takes the `J` fast path, values JSON would mangle take the `S`
// (superjson) path and round-trip exactly, and what neither can store is refused with INVALID_VALUE.
import { describe, expect, it } from 'vitest';
import { WeftError } from '../src/errors.js';
import { decodeValue, encodeValue } from '../src/store/codec.js';

const roundTrip = (value: unknown): unknown => decodeValue(encodeValue(value));

function nested(depth: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WeftError);
    return (err as WeftError).code;
  }
  return undefined;
}

describe('encodeValue / decodeValue: plain JSON', () => {
  const plain: Array<[string, unknown]> = [
    ['a string', 'hello'],
    ['an empty string', ''],
    ['a string starting with a tag letter', 'S{"json":1}'],
    ['unicode with a NUL', 'é😀\u0000日本'],
    ['zero', 0],
    ['a float', -1.5e-7],
    ['the largest safe integer', Number.MAX_SAFE_INTEGER],
    ['true', true],
    ['false', false],
    ['null', null],
    ['an empty array', []],
    ['an empty object', {}],
    ['a nested mix', { a: [1, 'two', { b: null, c: [true, { d: 'e' }] }], f: {} }],
    ['an array holding null', [null, null]],
    ['a null-prototype object', Object.assign(Object.create(null) as object, { a: 1 })],
  ];
  for (const [what, value] of plain) {
    it(`stores ${what} as J + JSON`, () => {
      const encoded = encodeValue(value);
      expect(encoded[0]).toBe('J');
      expect(encoded.slice(1)).toBe(JSON.stringify(value));
      expect(decodeValue(encoded)).toEqual(value);
    });
  }
});

describe('encodeValue / decodeValue: superjson', () => {
  const rich: Array<[string, unknown]> = [
    ['a Date', new Date('2026-11-05T10:20:30.456Z')],
    [
      'a Map with string and object keys',
      new Map<unknown, unknown>([
        ['a', 1],
        [{ k: 1 }, 'object key'],
      ]),
    ],
    ['a Set', new Set([1, 'two', null])],
    ['a BigInt', 12345678901234567890123456789n],
    ['a negative BigInt in an object', { n: -5n }],
    ['undefined', undefined],
    ['undefined in an object', { a: undefined, b: 1 }],
    ['undefined in an array', [undefined, 1, undefined]],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['-0', -0],
    ['a RegExp', /a+b?\/c/gimsuy],
    [
      'a nested mix',
      {
        when: new Date(0),
        tags: new Set(['x', 'y']),
        counts: new Map([['big', 2n ** 70n]]),
        list: [1, undefined, NaN, -0, { deep: [new Map([[1, new Set([Infinity])]])] }],
        plain: { still: 'fine' },
      },
    ],
  ];
  for (const [what, value] of rich) {
    it(`stores ${what} with superjson (S) and round-trips it exactly`, () => {
      const encoded = encodeValue(value);
      expect(encoded[0]).toBe('S');
      expect(roundTrip(value)).toStrictEqual(value);
    });
  }

  it('keeps the sign of -0 and NaN-ness, where toStrictEqual would not tell', () => {
    expect(Object.is(roundTrip(-0), -0)).toBe(true);
    expect(Object.is((roundTrip([1, -0]) as number[])[1], -0)).toBe(true);
    expect(Number.isNaN(roundTrip(NaN))).toBe(true);
  });

  it('treats one non-JSON leaf anywhere as a reason to use superjson', () => {
    const value = { a: [1, 2, { b: [{ c: 'x' }, { d: new Date(1) }] }] };
    expect(encodeValue(value)[0]).toBe('S');
    expect(roundTrip(value)).toStrictEqual(value);
  });

  it('refuses a sparse array: neither JSON nor superjson keeps its holes', () => {
    expect(codeOf(() => encodeValue([1, , 3]))).toBe('INVALID_VALUE');
  });

  it('decodes a value nested exactly 1000 levels deep, in both encodings', () => {
    expect(encodeValue(nested(1000, 1))[0]).toBe('J');
    expect(roundTrip(nested(1000, 1))).toStrictEqual(nested(1000, 1));
    expect(encodeValue(nested(999, 1n))[0]).toBe('S');
    expect(roundTrip(nested(999, 1n))).toStrictEqual(nested(999, 1n));
  });

  it('refuses an unknown encoding tag', () => {
    expect(codeOf(() => decodeValue('X{}'))).toBe('INVALID_VALUE');
    expect(codeOf(() => decodeValue(''))).toBe('INVALID_VALUE');
  });
});

describe('encodeValue: refused values throw INVALID_VALUE', () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const cyclicArray: unknown[] = [];
  cyclicArray.push({ back: cyclicArray });
  const cyclicMap = new Map<string, unknown>();
  cyclicMap.set('self', cyclicMap);

  const refused: Array<[string, unknown]> = [
    ['a function', () => 1],
    ['a method in a nested object', { a: [{ f() {} }] }],
    ['a function in a Map', new Map([['f', () => 1]])],
    ['a symbol', Symbol('s')],
    ['a symbol in a Set', new Set([Symbol('s')])],
    ['a symbol-keyed property', { [Symbol('k')]: 1 }],
    ['a nested symbol-keyed property', { a: { [Symbol('k')]: 1 } }],
    ['a "constructor" key', { constructor: 1 }],
    ['a "__proto__" own key', JSON.parse('{"__proto__": {"polluted": true}}')],
    ['a "prototype" key', { prototype: {} }],
    ['a forbidden key deep inside', { a: [{ b: { constructor: 'x' } }] }],
    ['a forbidden key in a Map key object', new Map([[{ constructor: 1 }, 1]])],
    ['a cyclic object', cyclic],
    ['a cyclic array', cyclicArray],
    ['a Map holding itself', cyclicMap],
    ['plain JSON nested 1001 levels deep', nested(1001, 1)],
    ['a superjson value nested 1001 levels deep', nested(1001, new Date(0))],
  ];
  for (const [what, value] of refused) {
    it(`refuses ${what}`, () => {
      expect(codeOf(() => encodeValue(value))).toBe('INVALID_VALUE');
    });
  }

  it('did not pollute Object.prototype while refusing __proto__', () => {
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('refuses a class instance, which would come back as a plain object', () => {
    class Holder {
      n = 1;
      callback = () => 1;
    }
    expect(codeOf(() => encodeValue(new Holder()))).toBe('INVALID_VALUE');
  });
});
