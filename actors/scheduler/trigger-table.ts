import type { Clock } from '../../src/clock.js';
import { TriggerExistsError, TriggerNotFoundError } from '../../src/errors.js';
import type { Journal } from '../../src/store/journal.js';
import type { Store } from '../../src/store/store.js';
import type { ReplyQueue } from '../registry/reply-queue.js';
import {
  RUNS_KEPT,
  type SchedulerRequest,
  type TriggerRecord,
  type TriggerRun,
  type TriggerState,
} from './messages.js';

type Msg<T extends SchedulerRequest['type']> = Extract<SchedulerRequest, { type: T }>;

/** Why a trigger goes live: at `open` it keeps its stored next time (and catches up); otherwise it starts from now. */
export type Activation = 'open' | 'create' | 'resume';

/** What runs the triggers: told when one starts or stops being live, and asked what it has running. */
export interface TriggerRunner {
  activate(record: TriggerRecord, reason: Activation): void;
  deactivate(record: TriggerRecord): void;
  running(record: TriggerRecord): string[];
}

/**
 * The trigger definitions and their bookkeeping, held in memory and written through the
 * journal (kind `triggers`, key = name). Only the scheduler actor calls this, one message at
 * a time; replies wait in the reply queue until what they show is committed.
 */
export class TriggerTable {
  readonly #byName = new Map<string, TriggerRecord>();
  readonly #byUid = new Map<string, TriggerRecord>();
  #runner: TriggerRunner | undefined;

  constructor(
    private readonly journal: Journal,
    private readonly replies: ReplyQueue,
    private readonly clock: Clock,
  ) {}

  /** Loads every record: the triggers, and the deleted ones still finishing their claims (to recover, not to run). */
  async load(store: Store): Promise<TriggerRecord[]> {
    const records = (await store.range('triggers')).map(([, json]) => JSON.parse(json) as TriggerRecord);
    for (const record of records) this.#remember(record);
    return records;
  }

  /** The runner of every kind (a dispatcher), told about creates, pauses, resumes and deletes. */
  setRunner(runner: TriggerRunner): void {
    this.#runner = runner;
  }

  all(): TriggerRecord[] {
    return [...this.#byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  byUid(uid: string): TriggerRecord | undefined {
    return this.#byUid.get(uid);
  }

  /** Replaces the record (same name and uid) and writes it; everything written in this tick is one batch. */
  put<R extends TriggerRecord>(record: R): R {
    this.#remember(record);
    this.journal.write([{ type: 'put', kind: 'triggers', key: keyOf(record), value: JSON.stringify(record) }]);
    return record;
  }

  /** Forgets a deleted queue trigger once the outcomes of its claims are recorded. */
  drop(record: TriggerRecord): void {
    this.#byUid.delete(record.uid);
    this.journal.write([{ type: 'del', kind: 'triggers', key: keyOf(record) }]);
  }

  /** Appends runs to the record's history, keeping the newest. */
  static withRuns<R extends TriggerRecord>(record: R, runs: readonly TriggerRun[]): R {
    return runs.length === 0 ? record : { ...record, runs: [...record.runs, ...runs].slice(-RUNS_KEPT) };
  }

  create(m: Msg<'trigger.create'>): void {
    if (this.#byName.has(m.record.name)) return this.replies.fail(m.reply, new TriggerExistsError(m.record.name));
    const record = this.put(m.record);
    if (!record.paused) this.#runner?.activate(record, 'create');
    this.replies.ok(m.reply, this.#state(record.name) as TriggerState);
  }

  get(m: Msg<'trigger.get'>): void {
    this.replies.ok(m.reply, this.#state(m.name));
  }

  list(m: Msg<'trigger.list'>): void {
    this.replies.ok(
      m.reply,
      this.all().map((r) => this.#state(r.name) as TriggerState),
    );
  }

  pause(m: Msg<'trigger.pause'>): void {
    const current = this.#byName.get(m.name);
    if (!current) return this.replies.fail(m.reply, new TriggerNotFoundError(m.name));
    if (!current.paused) {
      this.#runner?.deactivate(current);
      this.put({ ...current, paused: true, updatedAt: this.clock.now() });
    }
    this.replies.ok(m.reply, this.#state(m.name) as TriggerState);
  }

  resume(m: Msg<'trigger.resume'>): void {
    const current = this.#byName.get(m.name);
    if (!current) return this.replies.fail(m.reply, new TriggerNotFoundError(m.name));
    if (current.paused)
      this.#runner?.activate(this.put({ ...current, paused: false, updatedAt: this.clock.now() }), 'resume');
    this.replies.ok(m.reply, this.#state(m.name) as TriggerState);
  }

  /**
   * Deletes the trigger. A queue trigger with claims keeps its record, marked deleted and
   * out of the name's way, until their executions end and their outcomes are recorded (on
   * the next open too); a claim still on its way puts its element back in line.
   */
  delete(m: Msg<'trigger.delete'>): void {
    const current = this.#byName.get(m.name);
    if (!current) return this.replies.ok(m.reply, false);
    this.#runner?.deactivate(current);
    this.#byName.delete(current.name);
    this.journal.write([{ type: 'del', kind: 'triggers', key: current.name }]);
    if (current.kind === 'queue' && (current.claimed.length > 0 || current.claiming !== undefined))
      this.put({ ...current, deleted: true });
    else this.#byUid.delete(current.uid);
    this.replies.ok(m.reply, true);
  }

  #state(name: string): TriggerState | undefined {
    const record = this.#byName.get(name);
    return record && { record, running: this.#runner?.running(record) ?? [] };
  }

  #remember(record: TriggerRecord): void {
    if (!isDeleted(record)) this.#byName.set(record.name, record);
    this.#byUid.set(record.uid, record);
  }
}

function isDeleted(record: TriggerRecord): boolean {
  return record.kind === 'queue' && record.deleted === true;
}

/** A trigger's key is its name; a deleted one's cannot be a name (`~`), so the name is free again at once. */
function keyOf(record: TriggerRecord): string {
  return isDeleted(record) ? `~deleted:${record.uid}` : record.name;
}
