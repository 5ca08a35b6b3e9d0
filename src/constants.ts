/** `rt.constants`: named strings, as OpenOrchestrator's constants; the last write to a name wins. */
import { ConstantNotFoundError, InvalidArgumentError } from './errors.js';
import { assertName } from './names.js';
import type { ServiceContext } from './services.js';
import type { WriteOp } from './store/store.js';

/** The longest value a constant may hold, in characters. */
export const MAX_CONSTANT_LENGTH = 65_536;

export interface Constant {
  name: string;
  value: string;
  updatedAt: Date;
}

export interface ConstantListOptions {
  /** Only names starting with this. */
  prefix?: string;
  /** Page size, 1–1000. @default 100 */
  limit?: number;
  /** The `cursor` of the previous page. */
  cursor?: string;
}

export interface ConstantPage {
  items: Constant[];
  cursor?: string;
}

/** How a constant is stored under its name. */
interface StoredConstant {
  value: string;
  updatedAt: number;
}

/**
 * Named strings, stored through the journal: a write is acknowledged once it is durable.
 *
 * @example
 * await rt.constants.set('smtp_host', 'mail.example.com');
 * const { value } = await rt.constants.get('smtp_host');
 */
export class Constants {
  readonly #ctx: ServiceContext;
  /** The last operation on each name, so that operations on one name run in order. */
  readonly #tails = new Map<string, Promise<void>>();

  /** @internal */
  constructor(ctx: ServiceContext) {
    this.#ctx = ctx;
  }

  /** The constant; CONSTANT_NOT_FOUND if there is none. */
  async get(name: string): Promise<Constant> {
    assertName('constant name', name);
    const constant = await this.#read(name);
    if (!constant) throw new ConstantNotFoundError(name);
    return constant;
  }

  /** Creates the constant or replaces its value. */
  async set(name: string, value: string): Promise<Constant> {
    assertName('constant name', name);
    if (typeof value !== 'string' || value.length > MAX_CONSTANT_LENGTH)
      throw new InvalidArgumentError('value', `it must be a string of at most ${MAX_CONSTANT_LENGTH} characters`);
    return this.#inOrder(name, async () => {
      const updatedAt = this.#ctx.clock.now();
      const stored: StoredConstant = { value, updatedAt };
      await this.#commit([{ type: 'put', kind: 'constants', key: name, value: JSON.stringify(stored) }]);
      return { name, value, updatedAt: new Date(updatedAt) };
    });
  }

  /** Deletes the constant; answers whether there was one. */
  async delete(name: string): Promise<boolean> {
    assertName('constant name', name);
    return this.#inOrder(name, async () => {
      if (!(await this.#read(name))) return false;
      await this.#commit([{ type: 'del', kind: 'constants', key: name }]);
      return true;
    });
  }

  /** Constants in name order, a page at a time. */
  async list(options: ConstantListOptions = {}): Promise<ConstantPage> {
    const { prefix = '', limit = 100, cursor } = options;
    if (typeof prefix !== 'string' || prefix.length > 256)
      throw new InvalidArgumentError('prefix', 'it must be a string of at most 256 characters');
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new InvalidArgumentError('limit', 'it must be an integer from 1 to 1000');
    if (cursor !== undefined && typeof cursor !== 'string')
      throw new InvalidArgumentError('cursor', 'it must be a string');
    await this.#ctx.journal.applied();
    const entries = await this.#ctx.journal.store.range('constants', {
      ...(cursor !== undefined && cursor >= prefix ? { gt: cursor } : { gte: prefix }),
      // Names are ASCII, so every name with the prefix sorts below this.
      ...(prefix !== '' && { lt: prefix + '\uffff' }),
      limit: limit + 1,
    });
    const items = entries.slice(0, limit).map(([name, raw]) => toConstant(name, raw));
    const last = items[items.length - 1];
    return entries.length > limit && last ? { items, cursor: last.name } : { items };
  }

  async #read(name: string): Promise<Constant | undefined> {
    await this.#ctx.journal.applied();
    const raw = await this.#ctx.journal.store.get('constants', name);
    return raw === undefined ? undefined : toConstant(name, raw);
  }

  async #commit(ops: WriteOp[]): Promise<void> {
    const journal = this.#ctx.journal;
    await journal.committed(journal.write(ops));
  }

  /** Runs `fn` after every earlier operation on `name`, so a delete answers truly whether it deleted. */
  #inOrder<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.#tails.get(name) ?? Promise.resolve()).then(fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(name, tail);
    void tail.then(() => {
      if (this.#tails.get(name) === tail) this.#tails.delete(name);
    });
    return run;
  }
}

function toConstant(name: string, raw: string): Constant {
  const stored = JSON.parse(raw) as StoredConstant;
  return { name, value: stored.value, updatedAt: new Date(stored.updatedAt) };
}
