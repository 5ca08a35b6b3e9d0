import { randomBytes } from 'node:crypto';
import type { TimerHandle } from '../../src/clock.js';
import type { SchedulerHost } from './host.js';
import type { InFlight } from './in-flight.js';
import type {
  ClaimedElement,
  QueueClaim,
  QueueTriggerRecord,
  SchedulerEvent,
  SchedulerInternalEvent,
  TriggerRecord,
} from './messages.js';
import { elementOutcome, toWeftError, truncateBytes } from './outcome.js';
import { TriggerTable } from './trigger-table.js';

type Msg<T extends SchedulerInternalEvent['type']> = Extract<SchedulerInternalEvent, { type: T }>;

/** A safety net under the queue's watch: a live trigger looks for work at least this often. */
export const POLL_MS = 30_000;

/** A claim's request id: `<name>:claim:<token>`, the token fresh for every claim. */
export function claimRequestId(name: string): string {
  return `${name}:claim:${randomBytes(4).toString('hex')}`;
}

/**
 * The id of the execution a claim starts: `<name>:<elementId>:<token of the claim>`. Unique
 * to the claim, so an element set back to NEW runs again; derived from the claim's request id,
 * which is written ahead, so a claim redone after a crash starts (or finds) the same one.
 * At most 200 + 1 + 36 + 1 + 8 characters: room is left for `:outcome` and a step number.
 */
export function queueExecutionId(name: string, elementId: string, requestId: string): string {
  return `${name}:${elementId}:${requestId.slice(requestId.lastIndexOf(':') + 1)}`;
}

/**
 * Runs queue triggers: claims NEW elements, up to the trigger's concurrency, and starts one
 * execution per element; when it ends, sets the element DONE (the result as JSON) or FAILED
 * (`CODE: message`). Woken by the queue's watch (new elements, elements set back to NEW),
 * and by a slow poll. A deleted trigger with claims still records their outcomes (see
 * `TriggerTable.delete`), and claims nothing more.
 *
 * Claims are written ahead: the trigger records the claim's request id (`claiming`) in the
 * batch the claim itself joins, and the claimed element (`claimed`) in the tick the claim's
 * answer arrives. On open, a claim on its way is sent again (the queue answers the same
 * element), and each claimed element is watched again, or started if the crash came before
 * its start, or let go if its outcome is already recorded.
 */
export class QueueRunner {
  readonly #live = new Map<string, { unwatch: () => void; poll?: TimerHandle; busy: boolean }>();
  #closed = false;

  constructor(
    private readonly table: TriggerTable,
    private readonly host: SchedulerHost,
    private readonly send: (event: SchedulerEvent) => void,
    private readonly inFlight: InFlight,
    private readonly stop: AbortSignal,
  ) {}

  /** At open, before the actor serves: picks up the claim on its way and every element claimed before the restart. */
  async recover(record: QueueTriggerRecord): Promise<void> {
    const claimed = [...record.claimed];
    if (record.claiming !== undefined) {
      const element = await this.host.queues.next(record.queue, { claim: true, requestId: record.claiming });
      const executionId = element && queueExecutionId(record.name, element.id, record.claiming);
      if (element && executionId && !claimed.some((c) => c.executionId === executionId))
        claimed.push({ elementId: element.id, executionId });
    }
    const keep: QueueClaim[] = [];
    for (const claim of claimed) {
      const { elementId, executionId } = claim;
      try {
        if ((await this.host.ended(executionId)) === undefined) {
          const element = await this.host.queues.get(elementId).catch(() => undefined);
          // Claimed, then the crash came before the start: it is ours to start (or, deleted, to put back in line).
          if (element?.status !== 'IN_PROGRESS') continue;
          if (record.deleted) {
            await this.host.queues.setStatus(elementId, 'NEW');
            continue;
          }
          await this.host.start(record.workflow, { args: [argumentOf(element)] }, executionId);
        }
        keep.push(claim);
        this.#watch(record.uid, elementId, executionId);
      } catch (err) {
        keep.push(claim);
        this.host.logger.warn({ err, trigger: record.name, elementId }, 'a queue trigger could not resume an element');
      }
    }
    const { claiming: _, ...rest } = record;
    if (record.deleted && keep.length === 0) this.table.drop(record);
    else if (record.claiming !== undefined || keep.length !== record.claimed.length)
      this.table.put({ ...rest, claimed: keep });
  }

  activate(record: QueueTriggerRecord): void {
    if (this.#closed || this.#live.has(record.uid)) return;
    const { uid } = record;
    const unwatch = this.host.queues.watch(record.queue, () => this.send({ type: 'queue.pump', uid }));
    this.#live.set(uid, { unwatch, busy: false });
    this.pump({ type: 'queue.pump', uid });
  }

  deactivate(record: TriggerRecord): void {
    this.#stopLive(record.uid);
  }

  running(record: QueueTriggerRecord): string[] {
    return record.claimed.map((c) => c.executionId);
  }

  /**
   * Looks for work if the trigger has room: a peek first (it writes nothing, so an idle
   * queue costs no writes), then a claim. One look at a time, so the count stays exact.
   */
  pump(m: Msg<'queue.pump'>): void {
    const live = this.#live.get(m.uid);
    const record = this.table.byUid(m.uid);
    if (!live || record?.kind !== 'queue' || record.paused || record.deleted || this.#closed) return;
    if (live.poll === undefined)
      live.poll = this.host.clock.setTimeout(() => {
        live.poll = undefined;
        this.send({ type: 'queue.pump', uid: m.uid });
      }, POLL_MS);
    if (live.busy || record.claimed.length >= record.concurrency) return;
    live.busy = true;
    const { uid } = record;
    this.inFlight.track(
      this.host.queues.next(record.queue, { claim: false }).then(
        (element) => this.send({ type: 'queue.peeked', uid, found: element !== undefined }),
        (err: unknown) => this.send({ type: 'queue.peeked', uid, found: false, error: toWeftError(err) }),
      ),
    );
  }

  peeked(m: Msg<'queue.peeked'>): void {
    const live = this.#live.get(m.uid);
    const record = this.table.byUid(m.uid);
    if (m.error)
      this.host.logger.warn({ err: m.error, trigger: record?.name }, 'a queue trigger could not look for work');
    if (!live) return;
    live.busy = false;
    if (!m.found || record?.kind !== 'queue' || record.paused || record.deleted || this.#closed) return;
    live.busy = true;
    const requestId = claimRequestId(record.name);
    // The claim joins the batch of this tick, and so does the record saying it is on its way.
    this.table.put({ ...record, claiming: requestId });
    const { uid } = record;
    this.inFlight.track(
      this.host.queues.next(record.queue, { claim: true, requestId }).then(
        (element) =>
          this.send({ type: 'queue.claimed', uid, requestId, ...(element && { element: argumentOf(element) }) }),
        (err: unknown) => this.send({ type: 'queue.claimed', uid, requestId, error: toWeftError(err) }),
      ),
    );
  }

  claimed(m: Msg<'queue.claimed'>): void {
    const live = this.#live.get(m.uid);
    if (live) live.busy = false;
    const record = this.table.byUid(m.uid);
    const { element } = m;
    if (record?.kind !== 'queue' || record.deleted) {
      // Deleted while the claim was on its way: the element goes back in line.
      if (element) this.inFlight.track(this.host.queues.setStatus(element.id, 'NEW').catch(() => undefined));
      if (record?.kind === 'queue' && !m.error) {
        const { claiming: _, ...rest } = record;
        this.#settle(rest);
      }
      return;
    }
    const { claiming: _, ...rest } = record;
    if (m.error) {
      this.host.logger.warn({ err: m.error, trigger: record.name }, 'a queue trigger could not claim');
      // Left as it is: sent again on the next open, the claim answers whatever it got.
      return;
    }
    if (!element) {
      this.table.put(rest);
      return;
    }
    const executionId = queueExecutionId(record.name, element.id, m.requestId);
    this.table.put({ ...rest, claimed: [...record.claimed, { elementId: element.id, executionId }] });
    // Closing: the claim is written down, and the start is made on the next open.
    if (this.#closed) return;
    const { uid } = record;
    this.inFlight.track(
      this.host.start(record.workflow, { args: [element] }, executionId).then(
        () => this.send({ type: 'queue.started', uid, elementId: element.id, executionId }),
        (err: unknown) =>
          this.send({ type: 'queue.started', uid, elementId: element.id, executionId, error: toWeftError(err) }),
      ),
    );
    this.pump({ type: 'queue.pump', uid });
  }

  started(m: Msg<'queue.started'>): void {
    const { uid, elementId, executionId, error } = m;
    if (!error) return this.#watch(uid, elementId, executionId);
    this.ended({ type: 'queue.ended', uid, elementId, executionId, outcome: elementOutcome({ ok: false, error }) });
  }

  /** Records the outcome on the element; the claim is let go once that is written. */
  ended(m: Msg<'queue.ended'>): void {
    const { uid, elementId, executionId, outcome } = m;
    this.inFlight.track(
      this.host.queues
        .setStatus(elementId, outcome.status, outcome.message, { requestId: `${executionId}:outcome` })
        .catch((err: unknown) =>
          this.host.logger.warn({ err, elementId, executionId }, 'a queue trigger could not record an outcome'),
        )
        .then(() => this.send({ type: 'queue.recorded', uid, elementId, executionId, outcome })),
    );
  }

  recorded(m: Msg<'queue.recorded'>): void {
    const record = this.table.byUid(m.uid);
    if (record?.kind !== 'queue') return;
    const claimed = record.claimed.filter((c) => c.executionId !== m.executionId);
    if (record.deleted) return this.#settle({ ...record, claimed });
    const run = {
      at: this.host.clock.now(),
      outcome: m.outcome.status,
      elementId: m.elementId,
      executionId: m.executionId,
      detail: truncateBytes(m.outcome.message, 200),
    };
    this.table.put(TriggerTable.withRuns({ ...record, claimed }, [run]));
    this.pump({ type: 'queue.pump', uid: m.uid });
  }

  close(): void {
    this.#closed = true;
    for (const uid of [...this.#live.keys()]) this.#stopLive(uid);
  }

  #stopLive(uid: string): void {
    const live = this.#live.get(uid);
    if (!live) return;
    live.unwatch();
    if (live.poll !== undefined) this.host.clock.clearTimeout(live.poll);
    this.#live.delete(uid);
  }

  /** A deleted trigger's record, kept while it has claims: dropped once it has none. */
  #settle(record: QueueTriggerRecord): void {
    if (record.claiming === undefined && record.claimed.length === 0) this.table.drop(record);
    else this.table.put(record);
  }

  #watch(uid: string, elementId: string, executionId: string): void {
    this.host.outcome(executionId, this.stop).then(
      (outcome) => this.send({ type: 'queue.ended', uid, elementId, executionId, outcome: elementOutcome(outcome) }),
      () => undefined, // the runtime is closing: the element stays claimed and is watched again on the next open
    );
  }
}

/** What the workflow gets: the element's id, reference and data, as its single argument. */
function argumentOf(element: ClaimedElement): ClaimedElement {
  return {
    id: element.id,
    ...(element.reference !== undefined && element.reference !== null && { reference: element.reference }),
    ...(element.data !== undefined && { data: element.data }),
  };
}
