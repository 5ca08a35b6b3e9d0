import { historyRange, isFinal, type ExecutionRecord } from '../actors/execution/history.js';
import type { TimerHandle } from './clock.js';
import { logTimeKey, padTime, positionOfLogKey } from './executions/execution-log.js';
import type { Supervisor } from './executions/supervisor.js';
import type { ServiceContext } from './services.js';
import { MARK, type WriteOp } from './store/store.js';

/** Kind `ended`: every finished execution by when it ended, so a pass reads only what it prunes. */
export function endedKey(endedAt: number, executionId: string): string {
  return `${padTime(endedAt)}\u0000${executionId}`;
}

/** The `ended` entry of a final record; written in the batch that records the final status. */
export function putEnded(record: ExecutionRecord): WriteOp {
  return { type: 'put', kind: 'ended', key: endedKey(record.endedAt ?? record.createdAt, record.id), value: MARK };
}

/** Set once every execution older than the `ended` index has its entry. */
const BACKFILLED = 'retention.endedBackfilled';
/** The first pass after opening comes this soon (or at `intervalMs`, if sooner). */
const FIRST_PASS_MS = 60_000;
/** The longest delay a timer takes (2^31 - 1 ms, about 24.8 days); longer waits re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface RetentionPass {
  /** Executions pruned. */
  pruned: number;
  /** Journal batches the pruning took (at most `batchSize` executions each). */
  batches: number;
}

export interface Retention {
  /** Runs a pass now (after the one in flight, if any); with retention off, prunes nothing. */
  runOnce(now?: number): Promise<RetentionPass>;
  /** Stops the timer, and the pass in flight between two batches. */
  stop(): Promise<void>;
}

/**
 * Prunes finished executions (record, history, signals, logs and their index entries) once
 * they ended more than `retention.maxAgeMs` ago. A pass runs every `retention.intervalMs`
 * (the first one a minute after opening) on `ctx.clock`, and prunes `batchSize`
 * executions per journal batch, yielding between batches, until nothing is left to prune.
 * It never prunes an unfinished execution, nor a child whose parent is unfinished (the
 * parent reads the child's record).
 */
export function startRetention(ctx: ServiceContext, supervisor: Supervisor): Retention {
  const options = ctx.options.retention;
  let stopped = false;
  let timer: TimerHandle | undefined;
  let inFlight: Promise<unknown> = Promise.resolve();
  let backfilled = false;

  const pass = async (now: number): Promise<RetentionPass> => {
    if (!options || stopped) return { pruned: 0, batches: 0 };
    const started = Date.now();
    if (!backfilled) backfilled = await backfill(ctx, options.batchSize, () => stopped);
    const result = await prune(ctx, supervisor, now - options.maxAgeMs, options.batchSize, () => stopped);
    if (result.pruned > 0)
      ctx.logger.info({ ...result, ms: Date.now() - started }, 'retention pruned finished executions');
    return result;
  };

  const runOnce = (now = ctx.clock.now()): Promise<RetentionPass> => {
    const run = inFlight.then(() => pass(now));
    inFlight = run.catch(() => undefined);
    return run;
  };

  const schedule = (ms: number): void => {
    if (!options || stopped) return;
    const due = ctx.clock.now() + ms;
    const arm = (): void => {
      timer = ctx.clock.setTimeout(
        () => {
          timer = undefined;
          if (ctx.clock.now() < due) return arm(); // a long interval, waited out in steps
          runOnce().then(
            () => schedule(options.intervalMs),
            (err: unknown) => {
              ctx.logger.error({ err }, 'retention pass failed; the next one retries');
              schedule(options.intervalMs);
            },
          );
        },
        // Node fires a longer delay after 1 ms: a pass would run back to back.
        Math.min(due - ctx.clock.now(), MAX_TIMER_MS),
      ); // the system clock's timers are unref'd: a pending pass keeps no process alive
    };
    arm();
  };
  if (options) schedule(Math.min(options.intervalMs, FIRST_PASS_MS));

  return {
    runOnce,
    stop: async () => {
      stopped = true;
      if (timer !== undefined) ctx.clock.clearTimeout(timer);
      timer = undefined;
      await inFlight;
    },
  };
}

/** Prunes what ended before `cutoff`, reading the `ended` index from its start. */
async function prune(
  ctx: ServiceContext,
  supervisor: Supervisor,
  cutoff: number,
  batchSize: number,
  stopped: () => boolean,
): Promise<RetentionPass> {
  const { journal } = ctx;
  const result: RetentionPass = { pruned: 0, batches: 0 };
  const lt = padTime(cutoff);
  let after: string | undefined;
  while (!stopped()) {
    await journal.applied();
    const { store } = journal;
    // Entries kept back (a child of an unfinished parent) are passed over, not read again.
    const entries = await store.range('ended', { ...(after !== undefined && { gt: after }), lt, limit: batchSize });
    if (entries.length === 0) break;
    after = (entries.at(-1) as [string, string])[0];
    const ops: WriteOp[] = [];
    const pruned: ExecutionRecord[] = [];
    for (const [key] of entries) {
      const id = key.slice(key.indexOf('\u0000') + 1);
      const json = await store.get('executions', id);
      if (json === undefined) {
        ops.push({ type: 'del', kind: 'ended', key }); // its execution is gone already
        continue;
      }
      const record = JSON.parse(json) as ExecutionRecord;
      if (!isFinal(record.status) || !(await parentEnded(ctx, record))) continue;
      ops.push({ type: 'del', kind: 'ended', key }, ...(await executionOps(ctx, record)));
      pruned.push(record);
    }
    if (ops.length > 0) {
      // One write call: one atomic batch, so an execution is gone whole or not at all.
      await journal.committed(journal.write(ops));
      supervisor.pruned(pruned);
      result.pruned += pruned.length;
      result.batches++;
      ctx.logger.debug({ pruned: pruned.length }, 'retention batch');
    }
    if (entries.length < batchSize) break;
    await yieldToEventLoop();
  }
  return result;
}

/** A child is kept while its parent is unfinished: the parent reads the child's record. */
async function parentEnded(ctx: ServiceContext, record: ExecutionRecord): Promise<boolean> {
  if (record.parent === undefined) return true;
  const json = await ctx.journal.store.get('executions', record.parent);
  return json === undefined || isFinal((JSON.parse(json) as ExecutionRecord).status);
}

/** Deletes of everything stored for the execution: record, history, signals, log lines and their index. */
async function executionOps(ctx: ServiceContext, record: ExecutionRecord): Promise<WriteOp[]> {
  const { store } = ctx.journal;
  const range = historyRange(record.id);
  const ops: WriteOp[] = [{ type: 'del', kind: 'executions', key: record.id }];
  for (const [key] of await store.range('history', range)) ops.push({ type: 'del', kind: 'history', key });
  for (const [key] of await store.range('signals', range)) ops.push({ type: 'del', kind: 'signals', key });
  for (const [key] of await store.range('logs', range)) {
    ops.push({ type: 'del', kind: 'logs', key });
    const position = positionOfLogKey(key);
    if (position) ops.push({ type: 'del', kind: 'log-times', key: logTimeKey(position) });
  }
  return ops;
}

/**
 * Executions that ended before the `ended` index existed get their entries, `batchSize`
 * per batch; answers whether every one has one now. Runs until it has finished once.
 */
async function backfill(ctx: ServiceContext, batchSize: number, stopped: () => boolean): Promise<boolean> {
  const { journal } = ctx;
  await journal.applied();
  if ((await journal.store.get('meta', BACKFILLED)) !== undefined) return true;
  let after: string | undefined;
  let scanned = 0;
  let indexed = 0;
  while (!stopped()) {
    await journal.applied();
    const chunk = await journal.store.range('executions', {
      ...(after !== undefined && { gt: after }),
      limit: batchSize,
    });
    scanned += chunk.length;
    after = chunk.at(-1)?.[0];
    const ops = chunk
      .map(([, json]) => JSON.parse(json) as ExecutionRecord)
      .filter((record) => isFinal(record.status))
      .map(putEnded);
    indexed += ops.length;
    const last = chunk.length < batchSize;
    // A store with no execution yet has nothing to mark: it is written to only when it must be.
    if (last && scanned > 0) ops.push({ type: 'put', kind: 'meta', key: BACKFILLED, value: String(ctx.clock.now()) });
    if (ops.length > 0) await journal.committed(journal.write(ops));
    if (last) {
      if (indexed > 0) ctx.logger.info({ indexed }, 'retention indexed finished executions by when they ended');
      return true;
    }
    await yieldToEventLoop();
  }
  return false;
}

/** Lets requests and executions run between two batches. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
