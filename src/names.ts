import { InvalidNameError } from './errors.js';

/**
 * Names of settings and locks: 1–256 characters, each an ASCII letter, digit, or one of
 * `. _ - : / @`, starting with a letter or digit. They are used verbatim as store keys and
 * in URLs, so the set excludes whitespace, control characters and `%`.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._\-:/@]{0,255}$/;

export function assertName(what: string, name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new InvalidNameError(what, name, 'it must be a string');
  if (name.length === 0 || name.length > 256)
    throw new InvalidNameError(what, name, `it must be 1–256 characters long, not ${name.length}`);
  if (!NAME.test(name))
    throw new InvalidNameError(
      what,
      name,
      'use ASCII letters, digits and . _ - : / @, starting with a letter or digit',
    );
}

/** Holders are free text (an execution id, "api:alice"), 1–256 characters with no control characters. */
const HOLDER = /^[^\u0000-\u001f\u007f]{1,256}$/;

export function assertHolder(holder: unknown): asserts holder is string {
  if (typeof holder !== 'string' || !HOLDER.test(holder))
    throw new InvalidNameError('holder', holder, 'it must be 1–256 characters with no control characters');
}
