import { randomBytes } from 'node:crypto';
import { createExecutionActor } from '../../actors/execution.js';
import type { ExecutionEnv } from '../../actors/execution/env.js';
import {
  FINAL_STATUSES,
  historyRange,
  isFinal,
  putExecution,
  type ExecutionRecord,
  type ExecutionStatus,
  type HistoryEvent,
  type SignalRecord,
  signalKey,
} from '../../actors/execution/history.js';
import {
  AbortedError,
  ExecutionEndedError,
  ExecutionNotFoundError,
  InvalidArgumentError,
  RuntimeClosedError,
  WorkflowNotFoundError,
} from '../errors.js';
import { assertName } from '../names.js';
import { encodeValue } from '../store/codec.js';
import { levelNumber, readLogEntries, readLogs, type LogFeed, type LogLine } from './execution-log.js';
import { fellBehind, FOLLOW_BUFFER_LINES } from '../logs.js';
import { Dormancy, type Active } from './dormancy.js';
import { readStored } from './stored.js';
import type { Workflow } from '../workflow.js';

const STATUSES: readonly ExecutionStatus[] = [
  'PENDING',
  'RUNNING',
  'WAITING_LOCK',
  'WAITING_SIGNAL',
  'WAITING_CHILD',
  'SLEEPING',
  ...FINAL_STATUSES,
];

export interface ListOptions {
  status?: ExecutionStatus;
  workflow?: string;
  /** Only executions created at or after this time (epoch ms). */
  since?: number;
  /** @default 100 */
  limit?: number;
  cursor?: string;
}

export interface ExecutionPage {
  items: ExecutionRecord[];
  cursor?: string;
}

export type StatusListener = (record: ExecutionRecord) => void;

export interface Started {
  record: ExecutionRecord;
  /** False when the id was taken: the existing execution is answered and nothing new starts. */
  created: boolean;
}

/**
 * Owns the execution actors: creates them, holds extra ones PENDING beyond `maxRunning`
 * (started in FIFO order), resumes unfinished ones on open, and tells waiters when one ends.
 */
export class Supervisor {
  readonly #env: ExecutionEnv;
  readonly #workflows: ReadonlyMap<string, Workflow>;
  readonly #maxRunning: number;
  readonly #logFeed: LogFeed;
  readonly #active = new Map<string, Active>();
  readonly #queue: Active[] = [];
  #queueHead = 0;
  /** Ids of executions holding a running slot. */
  readonly #slots = new Set<string>();
  readonly #starting = new Map<string, Promise<Started>>();
  readonly #finalWaiters = new Map<string, Array<(record: ExecutionRecord) => void>>();
  readonly #listeners = new Map<string, Set<StatusListener>>();
  #closed = false;
  /** Executions in the store by status, kept as statuses change (for metrics). */
  readonly #statusCounts = new Map<ExecutionStatus, number>();
  /** The last counted status of each unfinished execution. */
  readonly #statuses = new Map<string, ExecutionStatus>();
  /** The last signal's arrival number, over the life of the store. */
  #signalSeq = 0;
  /** Keeps the process alive while executions are unfinished (timers are unref'd, pool threads idle). */
  #keepAlive: NodeJS.Timeout | undefined;
  readonly #dormancy: Dormancy;

  constructor(
    env: Omit<ExecutionEnv, 'onFinal' | 'onStatus' | 'sendSignal' | 'runChild' | 'cancelChild'>,
    workflows: ReadonlyMap<string, Workflow>,
    maxRunning: number,
    logFeed: LogFeed,
    dormantAfterMs = Infinity,
  ) {
    this.#logFeed = logFeed;
    this.#dormancy = new Dormancy(
      {
        journal: env.journal,
        active: (id) => this.#active.get(id),
        drop: ({ actor, engine }) => {
          engine.stop();
          actor.stop();
          this.#active.delete(engine.record.id);
          this.#slots.delete(engine.record.id);
          this.#pump();
        },
        canRebuild: (record) => this.#workflows.has(record.workflow),
        rebuild: (record, { history, inbox }) => {
          const definition = this.#workflows.get(record.workflow) as Workflow;
          const active = createExecutionActor(this.#env, definition, record, history, inbox);
          this.#active.set(record.id, active);
          active.actor.start();
          this.#slots.add(record.id);
          active.actor.send({ type: 'start' });
        },
        isClosed: () => this.#closed,
      },
      dormantAfterMs,
    );
    this.#env = {
      ...env,
      onFinal: (r) => this.#onFinal(r),
      onStatus: (r) => this.#notify(r),
      sendSignal: (target, name, payload, from) => this.#signal(target, name, payload, from),
      runChild: async (workflow, input, id, parentId) => {
        await this.start(workflow, input, id, parentId);
        return this.waitFinal(id);
      },
      cancelChild: (id, reason) => void this.cancel(id, reason).catch(() => undefined),
    };
    this.#workflows = workflows;
    this.#maxRunning = maxRunning;
  }

  get workflowNames(): string[] {
    return [...this.#workflows.keys()];
  }

  get runningCount(): number {
    return this.#slots.size;
  }

  get pendingCount(): number {
    return this.#queue.length - this.#queueHead;
  }

  /** Executions waiting on signals with no actor in memory. */
  get dormantCount(): number {
    return this.#dormancy.size;
  }

  /** Resumes every execution not in a final status, oldest first. */
  async recover(): Promise<number> {
    const { store } = this.#env.journal;
    this.#signalSeq = Number((await store.get('meta', 'signalSeq')) ?? 0);
    const dormant = new Set((await store.range('dormant')).map(([id]) => id));
    const unfinished: ExecutionRecord[] = [];
    for (const [id, json] of await store.range('executions')) {
      const record = JSON.parse(json) as ExecutionRecord;
      this.#count(undefined, record.status);
      if (!isFinal(record.status)) {
        this.#statuses.set(record.id, record.status);
        if (dormant.delete(id) && record.status === 'WAITING_SIGNAL' && this.#workflows.has(record.workflow)) {
          // It stays dormant: nothing of it is read until a signal comes.
          this.#dormancy.adopt(record);
          continue;
        }
        unfinished.push(record);
      }
    }
    // Marks left by executions that ended or woke before a crash.
    if (dormant.size > 0)
      this.#env.journal.write([...dormant].map((id) => ({ type: 'del', kind: 'dormant', key: id })));
    if (this.#dormancy.size > 0) this.#keepAlive ??= setInterval(() => undefined, 2 ** 30);
    const resumable = unfinished.filter((r) => this.#workflows.has(r.workflow)).map((r) => r.id);
    const stored = await readStored(store, resumable);
    unfinished.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
    const recovered: Active[] = [];
    for (const record of unfinished) {
      const definition = this.#workflows.get(record.workflow);
      if (!definition) {
        this.#env.logger.warn(
          { executionId: record.id, workflow: record.workflow },
          'unfinished execution of an unknown workflow left as it is',
        );
        continue;
      }
      const { history, inbox } = stored.get(record.id)!;
      recovered.push(createExecutionActor(this.#env, definition, record, history, inbox));
    }
    // Everything is loaded before anything runs: a resumed execution's first signal to
    // another must find that one's inbox already read, and its actor there to deliver to.
    for (const active of recovered) this.#admit(active);
    return unfinished.length + this.#dormancy.size;
  }

  /**
   * Starts an execution, or answers the existing one when `id` is taken (`created: false`).
   * Resolves once it is recorded.
   */
  start(
    workflowName: string,
    input: { args: unknown[]; kwargs?: Record<string, unknown> },
    id?: string,
    parent?: string,
  ): Promise<Started> {
    const definition = this.#workflows.get(workflowName);
    if (!definition) return Promise.reject(new WorkflowNotFoundError(workflowName, this.workflowNames));
    if (id !== undefined) {
      try {
        assertName('execution id', id);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      const starting = this.#starting.get(id);
      if (starting) return starting.then(({ record }) => ({ record, created: false }));
      const known = this.#active.get(id)?.engine.record ?? this.#dormancy.record(id);
      if (known) return Promise.resolve({ record: known, created: false });
    }
    let encoded: string;
    try {
      encoded = encodeValue(input);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const execId = id ?? newExecutionId();
    const promise = this.#create(definition, execId, encoded, id !== undefined, parent).finally(() =>
      this.#starting.delete(execId),
    );
    this.#starting.set(execId, promise);
    return promise;
  }

  async #create(
    definition: Workflow,
    id: string,
    input: string,
    mayExist: boolean,
    parent: string | undefined,
  ): Promise<Started> {
    const { journal } = this.#env;
    if (mayExist) {
      await journal.applied();
      const existing = await journal.store.get('executions', id);
      if (existing) return { record: JSON.parse(existing) as ExecutionRecord, created: false };
    }
    if (this.#closed) throw new RuntimeClosedError();
    const now = this.#env.clock.now();
    // With a slot free and nobody queued, it is recorded RUNNING at once: one write, not two.
    // A child runs at once whatever maxRunning says: its parent holds a slot while it waits for it.
    const runNow = parent !== undefined || (this.#slots.size < this.#maxRunning && this.pendingCount === 0);
    const record: ExecutionRecord = {
      id,
      workflow: definition.name,
      version: definition.version,
      status: runNow ? 'RUNNING' : 'PENDING',
      input,
      createdAt: now,
      ...(runNow && { startedAt: now }),
      ...(parent !== undefined && { parent }),
    };
    const seq = journal.write([putExecution(record)]);
    this.#count(undefined, record.status);
    this.#statuses.set(id, record.status);
    const active = createExecutionActor(this.#env, definition, record, []);
    if (runNow) {
      // Its first step is dispatched only once that step is committed, so never before this record.
      this.#active.set(id, active);
      this.#keepAlive ??= setInterval(() => undefined, 2 ** 30);
      active.actor.start();
      this.#slots.add(id);
      active.actor.send({ type: 'start' });
      await journal.committed(seq);
      return { record, created: true };
    }
    this.#active.set(id, active);
    await journal.committed(seq);
    if (this.#closed) return { record, created: true }; // recorded PENDING: it starts when the folder is opened again
    this.#admit(active);
    return { record: active.engine.record, created: true };
  }

  /** The execution's current record: live for active ones, from the store otherwise. */
  async get(id: string): Promise<ExecutionRecord | undefined> {
    const known = this.#active.get(id)?.engine.record ?? this.#dormancy.record(id);
    if (known) return known;
    await this.#env.journal.applied();
    const json = await this.#env.journal.store.get('executions', id);
    return json === undefined ? undefined : (JSON.parse(json) as ExecutionRecord);
  }

  async history(id: string): Promise<Array<{ seq: number; event: HistoryEvent }>> {
    await this.#env.journal.applied();
    return (await this.#env.journal.store.range('history', historyRange(id))).map(([key, json]) => ({
      seq: Number(key.slice(key.lastIndexOf('\u0000') + 1)),
      event: JSON.parse(json) as HistoryEvent,
    }));
  }

  /** Executions in id order (ids sort by creation time), filtered, a page at a time. */
  async list(options: ListOptions = {}): Promise<ExecutionPage> {
    const limit = options.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new InvalidArgumentError('limit', 'it must be an integer from 1 to 1000');
    if (options.since !== undefined && !Number.isFinite(options.since))
      throw new InvalidArgumentError('since', 'it must be a time in epoch milliseconds');
    await this.#env.journal.applied();
    const items: ExecutionRecord[] = [];
    let cursor = options.cursor;
    // Filters are applied while scanning; scan in chunks so a selective filter still pages.
    for (;;) {
      const chunk = await this.#env.journal.store.range('executions', {
        ...(cursor !== undefined && { gt: cursor }),
        limit: 500,
      });
      for (const [key, json] of chunk) {
        cursor = key;
        const record = this.#active.get(key)?.engine.record ?? (JSON.parse(json) as ExecutionRecord);
        if (options.status && record.status !== options.status) continue;
        if (options.workflow && record.workflow !== options.workflow) continue;
        if (options.since !== undefined && record.createdAt < options.since) continue;
        items.push(record);
        if (items.length === limit) return { items, cursor: key };
      }
      if (chunk.length < 500) return { items };
    }
  }

  /** Resolves with the final record once the execution ends; rejects with ABORTED if `signal` aborts first. */
  async waitFinal(id: string, signal?: AbortSignal): Promise<ExecutionRecord> {
    const record = await this.get(id);
    if (!record) throw new ExecutionNotFoundError(id);
    if (isFinal(record.status) && !this.#active.has(id)) return record;
    if (signal?.aborted) throw new AbortedError(`waiting for execution ${id} to end`);
    return new Promise((resolve, reject) => {
      const waiters = this.#finalWaiters.get(id) ?? [];
      const waiter = (final: ExecutionRecord): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(final);
      };
      // A long-poll that gives up must not leave its waiter behind for a days-long execution.
      const onAbort = (): void => {
        const list = this.#finalWaiters.get(id);
        const at = list?.indexOf(waiter) ?? -1;
        if (list && at >= 0) list.splice(at, 1);
        if (list?.length === 0) this.#finalWaiters.delete(id);
        reject(new AbortedError(`waiting for execution ${id} to end`));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.push(waiter);
      this.#finalWaiters.set(id, waiters);
    });
  }

  subscribe(id: string, listener: StatusListener): () => void {
    let set = this.#listeners.get(id);
    if (!set) this.#listeners.set(id, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(id);
    };
  }

  /** Sends a signal to an unfinished execution; resolves once it is durably in its inbox. */
  signal(id: string, name: string, payload: unknown): Promise<void> {
    try {
      assertName('signal name', name);
      return this.#signal(id, name, encodeValue(payload));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  async #signal(target: string, name: string, payload: string, from?: string): Promise<void> {
    const record = await this.get(target);
    if (!record) throw new ExecutionNotFoundError(target);
    if (isFinal(record.status)) throw new ExecutionEndedError(target, record.status);
    const signal: SignalRecord = {
      seq: ++this.#signalSeq,
      name,
      payload,
      at: this.#env.clock.now(),
      ...(from && { from }),
    };
    const seq = this.#env.journal.write([
      { type: 'put', kind: 'signals', key: signalKey(target, signal.seq), value: JSON.stringify(signal) },
      { type: 'put', kind: 'meta', key: 'signalSeq', value: String(signal.seq) },
    ]);
    // Delivered now: whatever the execution records of it lands in this batch or a later one.
    const active = this.#active.get(target);
    if (active) active.actor.send({ type: 'signal.arrived', signal });
    else
      this.#dormancy.wake(target).then(
        (woken) => woken?.actor.send({ type: 'signal.arrived', signal }),
        (err: unknown) =>
          this.#env.logger.error({ err, executionId: target }, 'dormant execution not woken; it resumes on restart'),
      );
    await this.#env.journal.committed(seq);
  }

  /** The execution's stored log lines, oldest first. */
  logs(id: string, options: { level?: string; limit?: number } = {}): Promise<LogLine[]> {
    return readLogs(this.#env.journal, id, options);
  }

  /**
   * The execution's log lines, stored ones first, then live ones as they are written; ends
   * once the execution has ended (with its last lines), or when `signal` aborts. Lines wait
   * for a slow reader up to {@link FOLLOW_BUFFER_LINES}; past it, READER_TOO_SLOW after those.
   */
  async *followLogs(id: string, options: { level?: string; signal?: AbortSignal } = {}): AsyncGenerator<LogLine> {
    const { signal } = options;
    const min = levelNumber(options.level);
    const live: Array<[string, LogLine]> = [];
    let wake: (() => void) | undefined;
    let ended = false;
    let behind = false;
    // Subscribed before reading what is stored, so no line falls between the two.
    const stopLogs = this.#logFeed.subscribe(id, (key, line) => {
      if (line.level < min || behind) return;
      // The reader is too slow: a line missed now ends the follow, so it takes no more.
      if (live.length >= FOLLOW_BUFFER_LINES) behind = true;
      else live.push([key, line]);
      wake?.();
    });
    const stopStatus = this.subscribe(id, (record) => {
      if (!isFinal(record.status)) return;
      ended = true;
      wake?.();
    });
    const onAbort = (): void => wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      const record = await this.get(id);
      if (!record) throw new ExecutionNotFoundError(id);
      if (isFinal(record.status)) ended = true; // it writes no more lines, committed or not
      let last = '';
      for (const [key, line] of await readLogEntries(this.#env.journal, id, { level: options.level ?? 'trace' })) {
        if (signal?.aborted) return;
        last = key;
        yield line;
      }
      for (;;) {
        while (live.length > 0) {
          const [key, line] = live.shift() as [string, LogLine];
          if (key <= last) continue; // also read from the store
          last = key;
          if (signal?.aborted) return;
          yield line;
        }
        if (signal?.aborted) return;
        if (behind) throw fellBehind();
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      stopLogs();
      stopStatus();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Cancels an unfinished execution; answers false when it had already ended. */
  async cancel(id: string, reason: string): Promise<boolean> {
    // A start still in flight (a child just being created) is cancelled once it exists.
    await this.#starting.get(id)?.catch(() => undefined);
    const active = this.#active.get(id) ?? (await this.#dormancy.wake(id));
    if (!active) {
      if (!(await this.get(id))) throw new ExecutionNotFoundError(id);
      return false;
    }
    const before = active.actor.getSnapshot().status;
    active.actor.send({ type: 'cancel', reason });
    if (before === 'done') return false;
    await this.waitFinal(id);
    return true;
  }

  /** Stops every actor without touching what is recorded: unfinished executions resume on reopen. */
  close(): void {
    this.#closed = true;
    this.#dormancy.stop();
    for (const { actor, engine } of this.#active.values()) {
      engine.stop();
      actor.stop();
    }
    this.#active.clear();
    this.#releaseKeepAlive();
  }

  #releaseKeepAlive(): void {
    if (this.#keepAlive !== undefined) clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
  }

  #admit(active: Active): void {
    this.#active.set(active.engine.record.id, active);
    this.#keepAlive ??= setInterval(() => undefined, 2 ** 30);
    active.actor.start();
    if (active.engine.record.parent !== undefined) {
      // Children are not held back: their parents hold slots while they wait for them.
      this.#slots.add(active.engine.record.id);
      active.actor.send({ type: 'start' });
      return;
    }
    this.#queue.push(active);
    this.#pump();
  }

  #pump(): void {
    while (this.#slots.size < this.#maxRunning && this.#queueHead < this.#queue.length) {
      const next = this.#queue[this.#queueHead++] as Active;
      if (next.actor.getSnapshot().status === 'done') continue; // cancelled while pending
      this.#slots.add(next.engine.record.id);
      next.actor.send({ type: 'start' });
    }
    if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
  }

  /** Executions by status, every status present. */
  statusCounts(): Record<ExecutionStatus, number> {
    const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<ExecutionStatus, number>;
    for (const [status, n] of this.#statusCounts) counts[status] = n;
    return counts;
  }

  /** Retention removed these final executions from the store: they leave the counts. */
  pruned(records: readonly ExecutionRecord[]): void {
    for (const { status } of records)
      this.#statusCounts.set(status, Math.max(0, (this.#statusCounts.get(status) ?? 0) - 1));
  }

  #count(from: ExecutionStatus | undefined, to: ExecutionStatus): void {
    if (from !== undefined) this.#statusCounts.set(from, (this.#statusCounts.get(from) ?? 1) - 1);
    this.#statusCounts.set(to, (this.#statusCounts.get(to) ?? 0) + 1);
  }

  #notify(record: ExecutionRecord): void {
    this.#dormancy.statusChanged(record);
    const before = this.#statuses.get(record.id);
    if (before !== record.status) {
      this.#count(before, record.status);
      if (isFinal(record.status)) this.#statuses.delete(record.id);
      else this.#statuses.set(record.id, record.status);
    }
    for (const listener of this.#listeners.get(record.id) ?? []) listener(record);
  }

  #onFinal(record: ExecutionRecord): void {
    const active = this.#active.get(record.id);
    if (active) {
      this.#active.delete(record.id);
      this.#slots.delete(record.id);
      active.actor.stop();
    }
    if (this.#active.size === 0 && this.#dormancy.size === 0) this.#releaseKeepAlive();
    const waiters = this.#finalWaiters.get(record.id);
    this.#finalWaiters.delete(record.id);
    for (const resolve of waiters ?? []) resolve(record);
    this.#listeners.delete(record.id);
    if (!this.#closed) this.#pump();
  }
}

/** Random per process, so ids stay unique across restarts and processes. */
const ID_PREFIX = randomBytes(4).toString('hex');
let idCounter = 0;

/** Ids sort by creation time: 9 base-36 digits of milliseconds, a per-process prefix, a counter. */
export function newExecutionId(): string {
  return `${Date.now().toString(36).padStart(9, '0')}-${ID_PREFIX}${(idCounter++).toString(36).padStart(4, '0')}`;
}
