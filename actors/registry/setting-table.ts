import { randomUUID } from 'node:crypto';
import { SettingExistsError, SettingNotFoundError, StaleTokenError, VersionConflictError } from '../../src/errors.js';
import type { Clock } from '../../src/clock.js';
import type { Journal } from '../../src/store/journal.js';
import type { Store } from '../../src/store/store.js';
import type { KeyKind, SettingPage, SettingRecord, SettingRequest } from './messages.js';
import type { ReplyQueue } from './reply-queue.js';

type Msg<T extends SettingRequest['type']> = Extract<SettingRequest, { type: T }>;

/** Tells the setting table which token, if any, holds the lock of the same name. */
export type LockTokenOf = (name: string) => number | undefined;

/**
 * Settings, held in memory (values stay encoded strings, so every read hands out a fresh
 * copy) and written through the journal. Only the registry actor calls this, one message
 * at a time, so no check-then-write here can interleave with another.
 */
export class SettingTable {
  readonly #byName = new Map<string, SettingRecord>();
  readonly #nameById = new Map<string, string>();
  /** Every name, sorted, so `list` pages in mailbox order without reading the store. */
  readonly #names: string[] = [];

  constructor(
    private readonly journal: Journal,
    private readonly replies: ReplyQueue,
    private readonly clock: Clock,
    private readonly lockTokenOf: LockTokenOf,
  ) {}

  /** Loads every setting from the store (at open, before the actor serves). */
  async load(store: Store): Promise<void> {
    for (const [, json] of await store.range('settings')) {
      const record = JSON.parse(json) as SettingRecord;
      this.#byName.set(record.name, record);
      this.#nameById.set(record.id, record.name);
      this.#names.push(record.name); // the store yields them in key order
    }
  }

  get size(): number {
    return this.#byName.size;
  }

  create(m: Msg<'setting.create'>): void {
    if (this.#byName.has(m.name)) return this.replies.fail(m.reply, new SettingExistsError(m.name));
    const now = this.clock.now();
    const record: SettingRecord = {
      id: randomUUID(),
      name: m.name,
      value: m.value,
      version: 1,
      createdAt: now,
      updatedAt: now,
      updatedBy: m.updatedBy,
    };
    this.#names.splice(lowerBound(this.#names, record.name), 0, record.name);
    this.#put(record);
    this.journal.write([{ type: 'put', kind: 'setting-ids', key: record.id, value: record.name }]);
    this.replies.ok(m.reply, record);
  }

  get(m: Msg<'setting.get'>): void {
    this.replies.ok(m.reply, this.#find(m.key, m.by));
  }

  update(m: Msg<'setting.update'>): void {
    const current = this.#find(m.key, m.by);
    if (!current) return this.replies.fail(m.reply, new SettingNotFoundError(m.key, m.by));
    if (m.expectedVersion !== undefined && m.expectedVersion !== current.version)
      return this.replies.fail(m.reply, new VersionConflictError(current.name, m.expectedVersion, current.version));
    if (m.ifLockToken !== undefined) {
      const holding = this.lockTokenOf(current.name);
      if (holding !== m.ifLockToken)
        return this.replies.fail(m.reply, new StaleTokenError(current.name, m.ifLockToken, holding));
    }
    const record: SettingRecord = {
      ...current,
      value: m.value,
      version: current.version + 1,
      updatedAt: this.clock.now(),
      updatedBy: m.updatedBy,
    };
    this.#put(record);
    this.replies.ok(m.reply, record);
  }

  save(m: Msg<'setting.save'>): void {
    const { name, value, updatedBy, expectedVersion, reply } = m;
    if (this.#byName.has(name))
      return this.update({
        type: 'setting.update',
        key: name,
        by: 'name',
        value,
        updatedBy,
        reply,
        ...(expectedVersion !== undefined && { expectedVersion }),
      });
    if (expectedVersion !== undefined && expectedVersion !== 0)
      return this.replies.fail(reply, new VersionConflictError(name, expectedVersion, 0));
    this.create({ type: 'setting.create', name, value, updatedBy, reply });
  }

  delete(m: Msg<'setting.delete'>): void {
    const current = this.#find(m.key, m.by);
    if (!current) return this.replies.ok(m.reply, false);
    this.#byName.delete(current.name);
    this.#nameById.delete(current.id);
    this.#names.splice(lowerBound(this.#names, current.name), 1);
    this.journal.write([
      { type: 'del', kind: 'settings', key: current.name },
      { type: 'del', kind: 'setting-ids', key: current.id },
    ]);
    this.replies.ok(m.reply, true);
  }

  /** Pages through names in order, as they stand when the message arrives. */
  list(m: Msg<'setting.list'>): void {
    const names = this.#names;
    const from = m.cursor !== undefined && m.cursor >= m.prefix ? m.cursor : m.prefix;
    let i = lowerBound(names, from);
    if (names[i] === m.cursor) i++;
    const items: SettingRecord[] = [];
    for (; i < names.length && items.length <= m.limit; i++) {
      const name = names[i] as string;
      if (!name.startsWith(m.prefix)) break;
      items.push(this.#byName.get(name) as SettingRecord);
    }
    const more = items.length > m.limit;
    if (more) items.pop();
    const last = items[items.length - 1];
    const page: SettingPage = more && last ? { items, cursor: last.name } : { items };
    this.replies.ok(m.reply, page);
  }

  #find(key: string, by: KeyKind): SettingRecord | undefined {
    const name = by === 'id' ? this.#nameById.get(key) : key;
    return name === undefined ? undefined : this.#byName.get(name);
  }

  #put(record: SettingRecord): void {
    this.#byName.set(record.name, record);
    this.#nameById.set(record.id, record.name);
    this.journal.write([{ type: 'put', kind: 'settings', key: record.name, value: JSON.stringify(record) }]);
  }
}

/** The first index whose name is not below `name` (names sort as the store sorts keys: by code unit). */
function lowerBound(names: readonly string[], name: string): number {
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((names[mid] as string) < name) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
