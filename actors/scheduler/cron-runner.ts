import type { TimerHandle } from '../../src/clock.js';
import { decodeValue } from '../../src/store/codec.js';
import type { SchedulerHost } from './host.js';
import type { InFlight } from './in-flight.js';
import { describeError, toWeftError } from './outcome.js';
import type {
  CronTriggerRecord,
  SchedulerEvent,
  SchedulerInternalEvent,
  TriggerRecord,
  TriggerRun,
} from './messages.js';
import { compileCron, dueTimes, type Schedule } from './schedule.js';
import { TriggerTable } from './trigger-table.js';

type Msg<T extends SchedulerInternalEvent['type']> = Extract<SchedulerInternalEvent, { type: T }>;

/** At most this many missed runs are caught up with `catchUp: 'all'`: the newest ones. */
export const CATCH_UP_MAX = 100;
/** A run this late (or less) is on schedule, not missed: timers fire a little late, and the host may be busy. */
export const GRACE_MS = 60_000;
/** Timers wake at least this often and re-arm, so no delay overflows a platform timer. */
const MAX_DELAY_MS = 60 * 60 * 1000;

/** The id of the execution a cron trigger starts for a scheduled time: the same on every attempt. */
export function cronExecutionId(name: string, at: number): string {
  return `${name}:${new Date(at).toISOString()}`;
}

/**
 * Fires cron triggers: one timer per live trigger, armed for its next time on the runtime's
 * clock. A fire writes the trigger ahead of the start it makes (`pending`, `lastFiredAt`,
 * `nextAt`, all in the batch of the tick), so after a crash the start is redone under the
 * same id, which starts nothing twice.
 */
export class CronRunner {
  readonly #live = new Map<string, { schedule: Schedule; timer?: TimerHandle }>();
  /** Executions each trigger started that have not ended (kept across pauses, for `overlap: 'skip'`). */
  readonly #running = new Map<string, Set<string>>();
  #closed = false;

  constructor(
    private readonly table: TriggerTable,
    private readonly host: SchedulerHost,
    private readonly send: (event: SchedulerEvent) => void,
    private readonly inFlight: InFlight,
    private readonly stop: AbortSignal,
  ) {}

  /** At open, before the actor serves: redoes pending starts and watches executions still running. */
  async recover(record: CronTriggerRecord): Promise<void> {
    for (const { executionId } of record.pending) {
      try {
        await this.host.start(record.workflow, decodeValue(record.input), executionId);
      } catch (err) {
        this.host.logger.warn({ err, trigger: record.name, executionId }, 'a cron trigger could not redo its start');
      }
    }
    if (record.pending.length > 0) this.table.put({ ...record, pending: [] });
    const ids = new Set(record.pending.map((p) => p.executionId));
    if (record.lastExecutionId !== undefined) ids.add(record.lastExecutionId);
    for (const id of ids) if ((await this.host.ended(id)) === false) this.#watch(record.uid, id);
  }

  /** Starts firing. At open the stored next time holds (runs missed meanwhile are caught up); otherwise it starts from now. */
  activate(record: CronTriggerRecord, reason: 'open' | 'create' | 'resume'): void {
    if (this.#closed) return;
    let schedule: Schedule;
    try {
      schedule = compileCron(record.cron, record.timezone);
    } catch (err) {
      this.host.logger.error({ err, trigger: record.name }, 'a stored cron trigger no longer compiles; it stays idle');
      return;
    }
    this.#live.set(record.uid, { schedule });
    if (reason !== 'open') {
      const { nextAt: _, ...rest } = record;
      const nextAt = schedule.next(this.host.clock.now());
      this.table.put({ ...rest, ...(nextAt !== undefined && { nextAt }) });
    }
    this.due({ type: 'cron.due', uid: record.uid });
  }

  deactivate(record: TriggerRecord): void {
    const live = this.#live.get(record.uid);
    if (live?.timer !== undefined) this.host.clock.clearTimeout(live.timer);
    this.#live.delete(record.uid);
  }

  running(uid: string): string[] {
    return [...(this.#running.get(uid) ?? [])];
  }

  /** Fires what has fallen due (per the catch-up rule when runs were missed), then arms the next time. */
  due(m: Msg<'cron.due'>): void {
    const live = this.#live.get(m.uid);
    const record = this.table.byUid(m.uid);
    if (!live || record?.kind !== 'cron' || record.paused || this.#closed) return;
    live.timer = undefined;
    const now = this.host.clock.now();
    if (record.nextAt === undefined) return;
    if (record.nextAt > now) return this.#arm(m.uid, live, record.nextAt, now);
    const due = dueTimes(live.schedule, record.nextAt, now, CATCH_UP_MAX);
    const last = due.times[due.times.length - 1] as number;
    const fires =
      record.catchUp === 'all' ? due.times : record.catchUp === 'latest' || now - last <= GRACE_MS ? [last] : [];
    const runs: TriggerRun[] = [];
    const missed = due.total - fires.length;
    if (missed > 0)
      runs.push({
        at: record.nextAt,
        outcome: 'missed',
        detail: `${missed}${due.exact ? '' : '+'} scheduled run(s) not caught up (catchUp: ${record.catchUp})`,
      });
    let next: CronTriggerRecord = record;
    for (const at of fires) next = this.#fire(next, at, runs);
    const { nextAt: _, ...rest } = next;
    const written = this.table.put(
      TriggerTable.withRuns({ ...rest, ...(due.next !== undefined && { nextAt: due.next }) }, runs),
    );
    if (written.nextAt !== undefined) this.#arm(m.uid, live, written.nextAt, now);
  }

  started(m: Msg<'cron.started'>): void {
    const record = this.table.byUid(m.uid);
    if (m.error) {
      this.#running.get(m.uid)?.delete(m.executionId);
      this.host.logger.warn(
        { err: m.error, trigger: record?.name, executionId: m.executionId },
        'a cron trigger could not start its workflow',
      );
    } else this.#watch(m.uid, m.executionId);
    if (record?.kind !== 'cron') return;
    const runs = m.error
      ? record.runs.map((r) =>
          r.executionId === m.executionId && r.outcome === 'started'
            ? { ...r, outcome: 'error' as const, detail: describeError(m.error) }
            : r,
        )
      : record.runs;
    this.table.put({ ...record, runs, pending: record.pending.filter((p) => p.executionId !== m.executionId) });
  }

  ended(m: Msg<'cron.ended'>): void {
    const running = this.#running.get(m.uid);
    running?.delete(m.executionId);
    if (running?.size === 0) this.#running.delete(m.uid);
  }

  close(): void {
    this.#closed = true;
    for (const live of this.#live.values()) if (live.timer !== undefined) this.host.clock.clearTimeout(live.timer);
    this.#live.clear();
  }

  /** Starts (or, under `overlap: 'skip'` with one still running, skips) the run scheduled for `at`. */
  #fire(record: CronTriggerRecord, at: number, runs: TriggerRun[]): CronTriggerRecord {
    const running = this.#running.get(record.uid) ?? new Set<string>();
    if (record.overlap === 'skip' && running.size > 0) {
      runs.push({ at, outcome: 'skipped', detail: `${[...running].join(', ')} is still running (overlap: skip)` });
      return record;
    }
    const executionId = cronExecutionId(record.name, at);
    this.#running.set(record.uid, running.add(executionId));
    runs.push({ at, outcome: 'started', executionId });
    const { uid, workflow } = record;
    // The record is written in this tick, before the start can write anything: write-ahead.
    this.inFlight.track(
      this.host.start(workflow, decodeValue(record.input), executionId).then(
        () => this.send({ type: 'cron.started', uid, at, executionId }),
        (err: unknown) => this.send({ type: 'cron.started', uid, at, executionId, error: toWeftError(err) }),
      ),
    );
    return {
      ...record,
      lastFiredAt: at,
      lastExecutionId: executionId,
      pending: [...record.pending, { at, executionId }],
    };
  }

  #watch(uid: string, executionId: string): void {
    const running = this.#running.get(uid) ?? new Set<string>();
    this.#running.set(uid, running.add(executionId));
    this.host.outcome(executionId, this.stop).then(
      () => this.send({ type: 'cron.ended', uid, executionId }),
      () => undefined, // the runtime is closing: the execution resumes, and is watched again, on the next open
    );
  }

  #arm(uid: string, live: { timer?: TimerHandle }, at: number, now: number): void {
    live.timer = this.host.clock.setTimeout(
      () => this.send({ type: 'cron.due', uid }),
      Math.min(at - now, MAX_DELAY_MS),
    );
  }
}
