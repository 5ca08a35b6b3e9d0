/**
 * Property tests of the registry's locks: fast-check generates random interleavings of
 * acquire (any timeout, with or without a lease), release (current and stale tokens), abort,
 * releaseAll, clock advances (timeouts, lease expiry) and list() over 50 holders and 5
 * locks, runs them against a real Runtime on LevelDB, quiesces, and checks the recorded
 * history (test/support/lock-history.ts). A second property restarts the runtime midway:
 * holders, tokens and waiter order survive, and every later token exceeds every earlier one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, Runtime, WeftError, type LockInfo } from '../src/index.js';
import { checkHistory, formatHistory, LockHistory, type HistoryEvent, type Outcome } from './support/lock-history.js';

const HOLDERS = 50;
const LOCKS = 5;
const MAX_MS = 3_000; // longest finite timeout or lease; quiescing advances past it

type Command =
  | { t: 'acquire'; holder: number; lock: number; timeoutMs: number; ttlMs?: number }
  | { t: 'release' | 'stale' | 'abort'; pick: number }
  | { t: 'releaseAll'; holder: number }
  | { t: 'advance'; ms: number }
  | { t: 'list'; wait: boolean }
  | { t: 'yield' };

/** Commands in the given proportions (`release` picks a grant we hold, `stale` one that ended). */
function commands(w: { acquire: number; release: number; advance: number }): fc.Arbitrary<Command[]> {
  const command: fc.Arbitrary<Command> = fc.oneof(
    {
      weight: w.acquire,
      arbitrary: fc.record({
        t: fc.constant('acquire' as const),
        holder: fc.nat(HOLDERS - 1),
        lock: fc.nat(LOCKS - 1),
        timeoutMs: fc.oneof(fc.constant(0), fc.constant(Infinity), fc.integer({ min: 1, max: MAX_MS })),
        ttlMs: fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, fc.integer({ min: 1, max: MAX_MS })),
      }),
    },
    { weight: w.release, arbitrary: fc.record({ t: fc.constant('release' as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('stale' as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('abort' as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('releaseAll' as const), holder: fc.nat(HOLDERS - 1) }) },
    {
      weight: w.advance,
      arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: MAX_MS }) }),
    },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('list' as const), wait: fc.boolean() }) },
    { weight: 3, arbitrary: fc.constant({ t: 'yield' as const }) },
  );
  return fc.array(command, { minLength: 1, maxLength: 200, size: 'max' });
}

const dirs: string[] = [];
const runtimes: Runtime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((rt) => rt.close()));
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function open(clock: ManualClock, dataDir?: string): Promise<Runtime> {
  if (!dataDir) dirs.push((dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-'))));
  const rt = await Runtime.open({
    dataDir,
    durability: 'process',
    clock,
    logger: pino({ level: 'silent' }),
    retention: false,
  });
  runtimes.push(rt);
  return rt;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Grant {
  id: number;
  lock: string;
  holder: string;
  token: number;
  expiresAt?: number;
}

/** Drives one runtime with commands, recording everything in a LockHistory. */
class Driver {
  readonly history = new LockHistory();
  /** Grants we know of and have not released, by token (some may have lapsed: see `held`). */
  readonly #grants = new Map<number, Grant>();
  readonly #ended: Array<{ lock: string; token: number }> = [];
  readonly #waiting = new Map<number, AbortController>();
  readonly #acquiredAt = new Map<number, number>();
  readonly #releasedAllAt = new Map<string, number>();
  #seq = 0;
  maxToken = 0;

  constructor(
    readonly rt: Runtime,
    readonly clock: ManualClock,
  ) {}

  /** Requests still without an outcome. */
  get pending(): number {
    return this.#waiting.size;
  }

  async run(c: Command): Promise<void> {
    switch (c.t) {
      case 'acquire':
        return this.acquire(`lock-${c.lock}`, `holder-${c.holder}`, c.timeoutMs, c.ttlMs);
      case 'release': {
        const held = this.held();
        const g = held[c.pick % Math.max(1, held.length)];
        if (g) this.release(g.lock, g.token);
        return;
      }
      case 'stale': {
        const e = this.#ended[c.pick % Math.max(1, this.#ended.length)];
        if (e) this.release(e.lock, e.token);
        return;
      }
      case 'abort': {
        const ids = [...this.#waiting.keys()];
        const id = ids[c.pick % Math.max(1, ids.length)];
        if (id !== undefined) {
          this.history.abort(id);
          this.#waiting.get(id)!.abort();
        }
        return;
      }
      case 'releaseAll':
        return this.releaseAll(`holder-${c.holder}`);
      case 'advance':
        return this.advance(c.ms);
      case 'list': {
        const listed = this.list();
        if (c.wait) await listed;
        return;
      }
      case 'yield':
        return tick();
    }
  }

  acquire(lock: string, holder: string, timeoutMs: number, ttlMs?: number): void {
    const id = this.history.acquire(lock, holder, timeoutMs, ttlMs, this.clock.now());
    const ac = new AbortController();
    this.#waiting.set(id, ac);
    this.#acquiredAt.set(id, ++this.#seq);
    this.rt.locks.acquire(lock, { holder, timeoutMs, signal: ac.signal, ...(ttlMs !== undefined && { ttlMs }) }).then(
      (g) => {
        this.#settle(id, { kind: 'granted', token: g.token, ...(g.expiresAt && { expiresAt: g.expiresAt.getTime() }) });
        const grant: Grant = {
          id,
          lock,
          holder,
          token: g.token,
          ...(g.expiresAt && { expiresAt: g.expiresAt.getTime() }),
        };
        this.maxToken = Math.max(this.maxToken, g.token);
        // A releaseAll of the holder sent after this request ended the grant (or it would have been abandoned).
        if ((this.#releasedAllAt.get(holder) ?? 0) > this.#acquiredAt.get(id)!) this.#ended.push(grant);
        else this.#grants.set(g.token, grant);
      },
      (err: unknown) => this.#settle(id, classify(err, ac.signal)),
    );
  }

  #settle(id: number, outcome: Outcome): void {
    this.#waiting.delete(id);
    this.history.outcome(id, outcome);
  }

  /** Known grants still held: not released, not lapsed. */
  held(): Grant[] {
    const now = this.clock.now();
    for (const g of this.#grants.values())
      if (g.expiresAt !== undefined && g.expiresAt <= now) {
        this.#grants.delete(g.token);
        this.#ended.push(g);
      }
    return [...this.#grants.values()];
  }

  release(lock: string, token: number): void {
    const g = this.#grants.get(token);
    if (g) {
      this.#grants.delete(token);
      this.#ended.push(g);
    }
    const id = this.history.release(lock, token);
    this.rt.locks.release(lock, token).then(
      () => this.history.released(id, true),
      (err: unknown) => this.history.released(id, false, codeOf(err)),
    );
  }

  releaseAll(holder: string): void {
    this.history.releaseAll(holder);
    this.#releasedAllAt.set(holder, ++this.#seq);
    for (const g of this.#grants.values())
      if (g.holder === holder) {
        this.#grants.delete(g.token);
        this.#ended.push(g);
      }
    this.rt.locks.releaseAll(holder).catch((err: unknown) => {
      throw new Error(`releaseAll failed: ${codeOf(err)}`);
    });
  }

  advance(ms: number): void {
    const from = this.clock.now();
    this.history.advance(from, from + ms);
    this.clock.advance(ms);
  }

  list(): Promise<LockInfo[]> {
    const answer = this.history.list();
    return this.rt.locks.list().then((s) => {
      answer(s);
      for (const i of s) if (i.holder) this.maxToken = Math.max(this.maxToken, i.holder.token);
      return s;
    });
  }

  /** Lets every reply in flight arrive. */
  async settle(): Promise<LockInfo[]> {
    const s = await this.list();
    await tick();
    return s;
  }

  /** Releases everything and moves time past every deadline until nothing is held or waiting. */
  async quiesce(): Promise<LockInfo[]> {
    for (let round = 0; round < 500; round++) {
      const s = await this.settle();
      const held = this.held();
      if (s.length === 0 && held.length === 0 && this.pending === 0) return s;
      for (const g of held) this.release(g.lock, g.token);
      this.advance(MAX_MS + 1);
    }
    return this.settle();
  }
}

function codeOf(err: unknown): string {
  return err instanceof WeftError ? err.code : `non-weft error: ${String(err)}`;
}

function classify(err: unknown, signal: AbortSignal): Outcome {
  if (signal.aborted && err === signal.reason) return { kind: 'aborted' };
  const code = codeOf(err);
  if (code === 'LOCK_TIMEOUT') return { kind: 'timeout' };
  if (code === 'LOCK_ABANDONED') return { kind: 'abandoned' };
  return { kind: 'error', code };
}

function assertClean(events: readonly HistoryEvent[], quiesced: boolean): void {
  const violations = checkHistory(events, { quiesced });
  if (violations.length > 0)
    throw new Error(
      `${violations.length} violation(s):\n${violations.slice(0, 20).join('\n')}\n\nhistory:\n${formatHistory(events)}`,
    );
}

describe('locks under random interleavings', () => {
  it('keep one holder, FIFO grants, increasing tokens, no lost wake-up, one outcome each', async () => {
    await fc.assert(
      fc.asyncProperty(commands({ acquire: 6, release: 4, advance: 2 }), async (commands) => {
        const clock = new ManualClock();
        const rt = await open(clock);
        try {
          const d = new Driver(rt, clock);
          for (const c of commands) await d.run(c);
          const final = await d.quiesce();
          assertClean(d.history.events, true);
          expect(final).toEqual([]); // nothing left held: every grant was known and released, or lapsed
        } finally {
          await rt.close();
        }
      }),
      { numRuns: 100, interruptAfterTimeLimit: 40_000 }, // a time limit keeps a slow shrink inside the test timeout
    );
  });

  it('survive a restart: holders, tokens and waiter order are kept; later tokens exceed earlier ones', async () => {
    await fc.assert(
      // Mostly acquires, little time passing: long queues are in place when the runtime restarts.
      fc.asyncProperty(commands({ acquire: 8, release: 2, advance: 1 }), async (commands) => {
        const clock = new ManualClock();
        const first = await open(clock);
        const d = new Driver(first, clock);
        for (const c of commands) await d.run(c);
        // Settle twice: a grant that raced an abort is handed back only when its reply arrives.
        await d.settle();
        const before = await d.settle();
        const maxBefore = d.maxToken;
        assertClean(d.history.events, false);
        await first.close();

        // Same folder, same clock: no deadline passes while it is down, so nothing times out.
        const rt = await open(clock, first.dataDir);
        const after = await rt.locks.list();
        expect(after.map(shape)).toEqual(before.map(shape));
        for (const info of after) {
          const h = info.holder;
          const was = before.find((b) => b.name === info.name)!.holder;
          if (h?.expiresAt) expect(h.expiresAt.getTime()).toBeGreaterThanOrEqual(was!.expiresAt!.getTime()); // a fresh TTL
        }

        // A new request after the restart gets a larger token than any before it.
        const fresh = await rt.locks.acquire('fresh', { holder: 'newcomer' });
        expect(fresh.token).toBeGreaterThan(maxBefore);
        await rt.locks.release('fresh', fresh.token);

        // New waiters queue behind the surviving ones; drain each lock by releasing its holder.
        const late = after.map((i) => rt.locks.acquire(i.name, { holder: 'late', timeoutMs: Infinity }));
        for (const p of late) p.catch(() => undefined); // awaited below; a failed run closes the runtime first
        const expected = new Map(
          after.map((i) => [i.name, [i.holder!.holder, ...i.waiters.map((w) => w.holder), 'late']]),
        );
        const seen = new Map<string, string[]>(after.map((i) => [i.name, []]));
        let lastToken = maxBefore;
        for (let round = 0, state = await rt.locks.list(); state.length > 0; round++, state = await rt.locks.list()) {
          for (const info of state) {
            const h = info.holder;
            if (!h) throw new Error(`lost wake-up: ${info.name} is free with waiters`);
            seen.get(info.name)!.push(h.holder);
            if (round > 0) expect(h.token).toBeGreaterThan(lastToken); // handed off after the restart
            if (round > 0) lastToken = h.token;
            await rt.locks.release(info.name, h.token);
          }
        }
        expect(seen).toEqual(expected);
        for (const g of await Promise.all(late)) expect(g.token).toBeGreaterThan(maxBefore);
        await rt.close();
      }),
      { numRuns: 40, interruptAfterTimeLimit: 40_000 },
    );
  });
});

describe('the history checker', () => {
  const violations = (build: (h: LockHistory) => void, quiesced = true): string[] => {
    const h = new LockHistory();
    build(h);
    return checkHistory(h.events, { quiesced });
  };

  it('passes a clean hand-off', () => {
    const found = violations((h) => {
      const a = h.acquire('L', 'a', Infinity, undefined, 0);
      const b = h.acquire('L', 'b', Infinity, undefined, 0);
      h.outcome(a, { kind: 'granted', token: 1 });
      h.released(h.release('L', 1), true);
      h.outcome(b, { kind: 'granted', token: 2 });
      h.list()([{ name: 'L', holder: { holder: 'b', token: 2, since: new Date(0), count: 1 }, waiters: [] }]);
      h.released(h.release('L', 2), true);
    });
    expect(found).toEqual([]);
  });

  it('finds two holders, barging, out-of-order tokens, a lost wake-up and missing outcomes', () => {
    const found = violations((h) => {
      const a = h.acquire('L', 'a', Infinity, undefined, 0);
      h.acquire('L', 'b', Infinity, undefined, 0); // request 2: never answered
      const c = h.acquire('L', 'c', Infinity, undefined, 0);
      h.outcome(a, { kind: 'granted', token: 5 });
      h.outcome(c, { kind: 'granted', token: 4 }); // a still holds; b was first in line
      h.list()([{ name: 'L', waiters: [{ holder: 'b', since: new Date(0) }] }]);
    });
    expect(found.join('\n')).toMatch(/two holders of L/);
    expect(found.join('\n')).toMatch(/grants on L out of request order/);
    expect(found.join('\n')).toMatch(/barging on L: request 2/);
    expect(found.join('\n')).toMatch(/lost wake-up/);
    expect(found.join('\n')).toMatch(/request 2 .* never got an outcome/);
  });

  it('finds a stale release that succeeded and a timeout before its deadline', () => {
    const found = violations((h) => {
      const a = h.acquire('L', 'a', 1000, undefined, 0);
      h.outcome(a, { kind: 'granted', token: 1 });
      h.released(h.release('L', 1), true);
      h.released(h.release('L', 1), true);
      const b = h.acquire('M', 'b', 1000, undefined, 0);
      h.advance(0, 999);
      h.outcome(b, { kind: 'timeout' });
    });
    expect(found.join('\n')).toMatch(/of ended token 1 .* succeeded/);
    expect(found.join('\n')).toMatch(/timed out before its deadline/);
  });
});

/** What must survive a restart (a lease's expiry is renewed, so only its presence is compared). */
function shape(i: LockInfo): unknown {
  const h = i.holder;
  return {
    name: i.name,
    holder: h && { holder: h.holder, token: h.token, since: h.since, count: h.count, lease: h.expiresAt !== undefined },
    waiters: i.waiters,
  };
}
