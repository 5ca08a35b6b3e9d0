import type { RegistryActor } from '../actors/registry.js';
import type { KeyKind, SettingRecord } from '../actors/registry/messages.js';
import { ask } from './ask.js';
import { InvalidArgumentError } from './errors.js';
import { assertName } from './names.js';
import { decodeValue, encodeValue } from './store/codec.js';

/** A setting as read: its value decoded afresh on every read, so callers may mutate it freely. */
export interface Setting<T = unknown> {
  id: string;
  name: string;
  value: T;
  /** Starts at 1 and rises by exactly 1 on every write. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
  updatedBy: string;
}

export interface SettingKeyOptions {
  /** Whether `key` is the setting's name or its id. @default 'name' */
  by?: KeyKind;
}

export interface SettingWriteOptions {
  /** Who is writing, recorded as `updatedBy`. @default 'api' */
  updatedBy?: string;
}

export interface SettingUpdateOptions extends SettingKeyOptions, SettingWriteOptions {
  /** Compare-and-set: fail with VERSION_CONFLICT unless the setting is at this version. */
  expectedVersion?: number;
  /** Fencing: fail with STALE_TOKEN unless this token holds the lock named after the setting. */
  ifLockToken?: number;
}

export interface SettingListOptions {
  /** Only names starting with this. */
  prefix?: string;
  /** Page size, 1–1000. @default 100 */
  limit?: number;
  /** The `cursor` of the previous page. */
  cursor?: string;
}

export interface SettingPage<T = unknown> {
  items: Array<Setting<T>>;
  cursor?: string;
}

/**
 * Named values, read and written whole, by name or id. Every call is a message to the
 * registry actor; values are any superjson value.
 *
 * @example
 * await rt.settings.create('notification_emails', ['toni@example.com']);
 * const s = await rt.settings.get('notification_emails');
 * await rt.settings.update('notification_emails', [...s!.value, 'cory@example.com'], { expectedVersion: s!.version });
 */
export class Settings {
  readonly #registry: () => RegistryActor;

  /** @internal */
  constructor(registry: () => RegistryActor) {
    this.#registry = registry;
  }

  async create<T>(name: string, value: T, options: SettingWriteOptions = {}): Promise<Setting<T>> {
    assertName('setting name', name);
    const encoded = encodeValue(value);
    const updatedBy = who(options.updatedBy);
    const actor = this.#registry();
    return toSetting<T>(
      await ask<SettingRecord>((reply) =>
        actor.send({ type: 'setting.create', name, value: encoded, updatedBy, reply }),
      ),
    );
  }

  async get<T = unknown>(key: string, options: SettingKeyOptions = {}): Promise<Setting<T> | undefined> {
    const by = keyKind(key, options.by);
    const actor = this.#registry();
    const record = await ask<SettingRecord | undefined>((reply) => actor.send({ type: 'setting.get', key, by, reply }));
    return record && toSetting<T>(record);
  }

  async update<T>(key: string, value: T, options: SettingUpdateOptions = {}): Promise<Setting<T>> {
    const by = keyKind(key, options.by);
    const encoded = encodeValue(value);
    const { expectedVersion, ifLockToken } = options;
    if (expectedVersion !== undefined && !(Number.isSafeInteger(expectedVersion) && expectedVersion >= 1))
      throw new InvalidArgumentError('expectedVersion', 'it must be an integer of at least 1');
    if (ifLockToken !== undefined && !(Number.isSafeInteger(ifLockToken) && ifLockToken >= 1))
      throw new InvalidArgumentError('ifLockToken', 'it must be a lock token (a positive integer)');
    const updatedBy = who(options.updatedBy);
    const actor = this.#registry();
    const record = await ask<SettingRecord>((reply) =>
      actor.send({
        type: 'setting.update',
        key,
        by,
        value: encoded,
        updatedBy,
        reply,
        ...(expectedVersion !== undefined && { expectedVersion }),
        ...(ifLockToken !== undefined && { ifLockToken }),
      }),
    );
    return toSetting<T>(record);
  }

  /** Deletes the setting; answers whether there was one. */
  async delete(key: string, options: SettingKeyOptions = {}): Promise<boolean> {
    const by = keyKind(key, options.by);
    const actor = this.#registry();
    return ask<boolean>((reply) => actor.send({ type: 'setting.delete', key, by, reply }));
  }

  /** Settings in name order, a page at a time. */
  async list<T = unknown>(options: SettingListOptions = {}): Promise<SettingPage<T>> {
    const prefix = options.prefix ?? '';
    if (typeof prefix !== 'string') throw new InvalidArgumentError('prefix', 'it must be a string');
    const limit = options.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new InvalidArgumentError('limit', 'it must be an integer from 1 to 1000');
    const { cursor } = options;
    if (cursor !== undefined && typeof cursor !== 'string')
      throw new InvalidArgumentError('cursor', 'it must be a string');
    const actor = this.#registry();
    const page = await ask<{ items: SettingRecord[]; cursor?: string }>((reply) =>
      actor.send({ type: 'setting.list', prefix, limit, reply, ...(cursor !== undefined && { cursor }) }),
    );
    return { items: page.items.map((r) => toSetting<T>(r)), ...(page.cursor !== undefined && { cursor: page.cursor }) };
  }
}

function keyKind(key: string, by: KeyKind | undefined = 'name'): KeyKind {
  if (by !== 'name' && by !== 'id')
    throw new InvalidArgumentError('by', `it must be 'name' or 'id', not ${JSON.stringify(by)}`);
  if (by === 'name') assertName('setting name', key);
  else if (typeof key !== 'string' || key.length === 0 || key.length > 256)
    throw new InvalidArgumentError('id', 'it must be a non-empty string');
  return by;
}

function who(updatedBy: string | undefined): string {
  if (updatedBy === undefined) return 'api';
  if (typeof updatedBy !== 'string' || updatedBy.length === 0 || updatedBy.length > 256)
    throw new InvalidArgumentError('updatedBy', 'it must be 1–256 characters');
  return updatedBy;
}

/** @internal */
export function toSetting<T>(r: SettingRecord): Setting<T> {
  return {
    id: r.id,
    name: r.name,
    value: decodeValue<T>(r.value),
    version: r.version,
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
    updatedBy: r.updatedBy,
  };
}
