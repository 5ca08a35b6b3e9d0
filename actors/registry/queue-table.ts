import type { Clock } from '../../src/clock.js';
import type { Journal } from '../../src/store/journal.js';
import type { Store, WriteOp } from '../../src/store/store.js';
import type { Probed, QueueCounts, QueueElementRecord, QueueRequest, QueueStatus, QueueStoreRead } from './messages.js';
import { NewOrder, type Place } from './queue-order.js';
import {
  COUNTS_RANGE,
  countsKey,
  deletedKey,
  deleteOps,
  elementOps,
  listPrefix,
  prefixRange,
  queueOfCountsKey,
  SEQ_KEY,
} from './queue-keys.js';
import type { ReplyQueue } from './reply-queue.js';

type Msg<T extends QueueRequest['type']> = Extract<QueueRequest, { type: T }>;
type Counts = Record<QueueStatus, number>;

/** How many recent writes to elements outside the working set are remembered for checking store reads. */
const SETTLED_KEPT = 10_000;

/** What the table last wrote for an element outside the working set: its version (none once deleted). */
interface Settled {
  seq: number;
  version?: number;
}

/** The element as it stands, or what the caller must do first. */
type Resolved =
  { kind: 'found'; record: QueueElementRecord } | { kind: 'absent'; deletedBy?: string } | { kind: 'read' | 'stale' };

/**
 * Work queues, in the registry actor. The working set lives in memory: every NEW and
 * IN_PROGRESS element with its record, and the NEW ones in line per queue and per (queue,
 * reference), so claiming and status changes are O(1) and read nothing. DONE and FAILED
 * elements live only in the store; a request about one carries what the caller read there,
 * checked against what was written since (see `#resolve`). Every change is
 * written through the journal with its index entries and counts, in one batch, before its
 * reply goes out.
 */
export class QueueTable {
  readonly #working = new Map<string, QueueElementRecord>();
  readonly #lines = new Map<string, NewOrder>();
  /** Claimed element ids by {@link claimKey}: a requestId claims at most one element per queue. */
  readonly #claims = new Map<string, string>();
  readonly #counts = new Map<string, Counts>();
  /** Writes to elements outside the working set, oldest first, at most SETTLED_KEPT. */
  readonly #settled = new Map<string, Settled>();
  /** Store reads made before this seq may miss a write no longer remembered: they are stale. */
  #floor = 0;
  #seq = 0;
  /** Queues with a notice (new elements, or one set back to NEW) already waiting for its batch to commit. */
  readonly #noticed = new Set<string>();

  constructor(
    private readonly journal: Journal,
    private readonly replies: ReplyQueue,
    private readonly clock: Clock,
    private readonly created: (queue: string) => void,
  ) {}

  /** Loads the counts, and the working set from the NEW and IN_PROGRESS indexes (the backlog, not the history). */
  async load(store: Store): Promise<void> {
    this.#seq = Number((await store.get('meta', SEQ_KEY)) ?? 0);
    for (const [key, json] of await store.range('queue-index', COUNTS_RANGE))
      this.#counts.set(queueOfCountsKey(key), JSON.parse(json) as Counts);
    for (const [queue, counts] of this.#counts) {
      for (const status of ['NEW', 'IN_PROGRESS'] as const) {
        if (counts[status] === 0) continue;
        const ids = (await store.range('queue-index', prefixRange(listPrefix(queue, undefined, status)))).map(
          ([, id]) => id,
        );
        for (let i = 0; i < ids.length; i += 512) {
          const jsons = await Promise.all(ids.slice(i, i + 512).map((id) => store.get('queue-elements', id)));
          for (const json of jsons) if (json !== undefined) this.#enter(JSON.parse(json) as QueueElementRecord);
        }
      }
    }
  }

  create(m: Msg<'queue.create'>): void {
    if (m.requestId !== undefined) {
      const first = m.elements[0];
      // The ids derive from the request: its first element, or that one's tombstone, shows it was seen.
      const seen = first && this.#resolve(first.id, m.read);
      if (seen && (seen.kind !== 'absent' || seen.deletedBy !== undefined))
        return this.replies.ok(m.reply, seen.kind === 'read' || seen.kind === 'stale' ? seen : { kind: 'repeat' });
    }
    const now = this.clock.now();
    const ops: WriteOp[] = [];
    const records = m.elements.map((e): QueueElementRecord => {
      const record: QueueElementRecord = {
        id: e.id,
        queue: m.queue,
        ...(e.reference !== undefined && { reference: e.reference }),
        ...(e.data !== undefined && { data: e.data }),
        status: 'NEW',
        createdBy: e.createdBy,
        createdAt: now,
        seq: ++this.#seq,
        version: 1,
        ...(m.requestId !== undefined && { fromRequest: true }),
      };
      this.#enter(record);
      this.#count(record.queue, 'NEW', 1);
      ops.push(...elementOps(record));
      return record;
    });
    ops.push({ type: 'put', kind: 'meta', key: SEQ_KEY, value: String(this.#seq) }, this.#countsOp(m.queue));
    this.journal.write(ops);
    this.replies.ok(m.reply, { kind: 'created', records });
    this.#notice(m.queue);
  }

  next(m: Msg<'queue.next'>): void {
    if (m.requestId !== undefined) {
      const claimed = this.#working.get(this.#claims.get(claimKey(m.queue, m.requestId)) ?? '');
      if (claimed) return this.replies.ok(m.reply, claimed);
    }
    const key = lineKey(m.queue, m.reference);
    const line = this.#lines.get(key);
    const place = m.claim ? line?.shift() : line?.first();
    const current = place && (this.#working.get(place.id) as QueueElementRecord);
    if (!current || !m.claim) return this.replies.ok(m.reply, current);
    const record: QueueElementRecord = {
      ...withoutRun(current),
      status: 'IN_PROGRESS',
      startedAt: this.clock.now(),
      version: current.version + 1,
      ...(m.requestId !== undefined && { claimedBy: m.requestId, lastRequest: m.requestId }),
    };
    this.#replace(record, current, key);
    this.replies.ok(m.reply, record);
  }

  get(m: Msg<'queue.get'>): void {
    const r = this.#resolve(m.id, m.read);
    this.replies.ok(
      m.reply,
      probed(r, () => (r.kind === 'found' ? r.record : undefined)),
    );
  }

  setStatus(m: Msg<'queue.setStatus'>): void {
    const r = this.#resolve(m.id, m.read);
    if (r.kind !== 'found')
      return this.replies.ok(
        m.reply,
        probed(r, () => undefined),
      );
    const current = r.record;
    if (m.requestId !== undefined && current.lastRequest === m.requestId)
      return this.replies.ok(m.reply, { kind: 'done', value: current });
    const now = this.clock.now();
    const base = withoutRun(current);
    const { message } = m;
    const record: QueueElementRecord = {
      ...base,
      status: m.status,
      version: current.version + 1,
      ...(message !== undefined && { message }),
      ...(m.status === 'IN_PROGRESS' && { startedAt: now }),
      ...((m.status === 'DONE' || m.status === 'FAILED') && {
        ...(current.startedAt !== undefined && { startedAt: current.startedAt }),
        endedAt: now,
      }),
      ...(m.requestId !== undefined && { lastRequest: m.requestId }),
    };
    this.#replace(record, current);
    this.replies.ok(m.reply, { kind: 'done', value: record });
    // Back in line: watchers (a queue trigger) must look again, as for a new element.
    if (record.status === 'NEW' && current.status !== 'NEW') this.#notice(record.queue);
  }

  delete(m: Msg<'queue.delete'>): void {
    const r = this.#resolve(m.id, m.read);
    if (r.kind === 'absent')
      return this.replies.ok(m.reply, {
        kind: 'done',
        value: m.requestId !== undefined && r.deletedBy === m.requestId,
      });
    if (r.kind !== 'found') return this.replies.ok(m.reply, r);
    const current = r.record;
    this.#leave(current);
    this.#count(current.queue, current.status, -1);
    const ops = [...deleteOps(current), this.#countsOp(current.queue)];
    if (m.requestId !== undefined || current.fromRequest)
      ops.push({ type: 'put', kind: 'queue-index', key: deletedKey(current.id), value: m.requestId ?? '' });
    const seq = this.journal.write(ops);
    this.#settle(current.id, { seq });
    this.replies.ok(m.reply, { kind: 'done', value: true });
  }

  counts(m: Msg<'queue.counts'>): void {
    const items: QueueCounts[] = [...this.#counts]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([queue, counts]) => ({ queue, counts: { ...counts } }));
    this.replies.ok(m.reply, items);
  }

  /**
   * Where an element stands: in the working set, or as the caller read it from the store,
   * unless a write to it since that read (or one no longer remembered) makes the read stale.
   */
  #resolve(id: string, read: QueueStoreRead | undefined): Resolved {
    const held = this.#working.get(id);
    if (held) return { kind: 'found', record: held };
    if (!read) return { kind: 'read' };
    if (read.seq < this.#floor) return { kind: 'stale' };
    const since = this.#settled.get(id);
    if (since && since.seq > read.seq && since.version !== read.record?.version) return { kind: 'stale' };
    if (read.record) return { kind: 'found', record: read.record };
    return { kind: 'absent', ...(read.deletedBy !== undefined && { deletedBy: read.deletedBy }) };
  }

  /**
   * Writes `record` over `current`, moving it in or out of the working set as its status
   * says. `shiftedFrom` names the line `current` was just taken out of.
   */
  #replace(record: QueueElementRecord, current: QueueElementRecord, shiftedFrom?: string): void {
    if (this.#working.has(current.id)) this.#leave(current, shiftedFrom);
    if (current.status !== record.status) {
      this.#count(record.queue, current.status, -1);
      this.#count(record.queue, record.status, 1);
    }
    const seq = this.journal.write([...elementOps(record, current), this.#countsOp(record.queue)]);
    if (record.status === 'NEW' || record.status === 'IN_PROGRESS') this.#enter(record);
    else this.#settle(record.id, { seq, version: record.version });
  }

  /** Adds a NEW or IN_PROGRESS element to the working set. */
  #enter(record: QueueElementRecord): void {
    this.#working.set(record.id, record);
    if (record.claimedBy !== undefined) this.#claims.set(claimKey(record.queue, record.claimedBy), record.id);
    if (record.status !== 'NEW') return;
    const place: Place = { id: record.id, seq: record.seq, version: record.version };
    this.#line(record.queue).push(place);
    if (record.reference !== undefined) this.#line(record.queue, record.reference).push(place);
  }

  /**
   * Takes an element out of the working set. Its places in line go stale, to be skipped
   * later; a line left empty is forgotten, so references used once cost nothing after.
   */
  #leave(record: QueueElementRecord, shiftedFrom?: string): void {
    this.#working.delete(record.id);
    if (record.claimedBy !== undefined) this.#claims.delete(claimKey(record.queue, record.claimedBy));
    if (record.status !== 'NEW') return;
    const keys = [lineKey(record.queue)];
    if (record.reference !== undefined) keys.push(lineKey(record.queue, record.reference));
    for (const key of keys) {
      const line = this.#lines.get(key);
      if (!line) continue;
      if (key !== shiftedFrom) line.dropped();
      if (!line.first()) this.#lines.delete(key);
    }
  }

  #line(queue: string, reference?: string): NewOrder {
    const key = lineKey(queue, reference);
    let line = this.#lines.get(key);
    if (!line) {
      line = new NewOrder((p) => {
        const r = this.#working.get(p.id);
        return r !== undefined && r.version === p.version && r.status === 'NEW';
      });
      this.#lines.set(key, line);
    }
    return line;
  }

  #settle(id: string, settled: Settled): void {
    this.#settled.delete(id);
    this.#settled.set(id, settled);
    while (this.#settled.size > SETTLED_KEPT) {
      const [oldest, entry] = this.#settled.entries().next().value as [string, Settled];
      this.#settled.delete(oldest);
      if (entry.seq > this.#floor) this.#floor = entry.seq;
    }
  }

  #count(queue: string, status: QueueStatus, delta: number): void {
    let counts = this.#counts.get(queue);
    if (!counts) this.#counts.set(queue, (counts = { NEW: 0, IN_PROGRESS: 0, DONE: 0, FAILED: 0 }));
    counts[status] += delta;
  }

  /** The op that stores the queue's counts; a queue left with no elements is forgotten. */
  #countsOp(queue: string): WriteOp {
    const counts = this.#counts.get(queue) as Counts;
    if (counts.NEW + counts.IN_PROGRESS + counts.DONE + counts.FAILED > 0)
      return { type: 'put', kind: 'queue-index', key: countsKey(queue), value: JSON.stringify(counts) };
    this.#counts.delete(queue);
    return { type: 'del', kind: 'queue-index', key: countsKey(queue) };
  }

  /** Tells the watchers once the batch holding new (or renewed) elements commits (once per queue and batch). */
  #notice(queue: string): void {
    if (this.#noticed.has(queue)) return;
    this.#noticed.add(queue);
    this.replies.ok((outcome) => {
      this.#noticed.delete(queue);
      if (outcome.ok) this.created(queue);
    }, undefined);
  }
}

function lineKey(queue: string, reference?: string): string {
  return reference === undefined ? queue : `${queue}\u0000${reference}`;
}

/** A claim's key: the same requestId sent to two queues is two requests, one per queue. */
function claimKey(queue: string, requestId: string): string {
  return `${queue}\u0000${requestId}`;
}

/** The record without what belongs to one run (claim, times, message): the next status sets its own. */
function withoutRun(r: QueueElementRecord): QueueElementRecord {
  const { claimedBy: _c, startedAt: _s, endedAt: _e, message: _m, lastRequest: _l, ...rest } = r;
  return rest;
}

function probed<T>(r: Resolved, value: () => T): Probed<T> {
  return r.kind === 'read' || r.kind === 'stale' ? { kind: r.kind } : { kind: 'done', value: value() };
}
