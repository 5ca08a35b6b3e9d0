/**
 * A history recorder and checker for weft's locks. A test records, with a logical sequence
 * number, each call it makes (acquire, abort, release, releaseAll, clock advance, list) at
 * the moment it sends it, and each outcome when it settles; `checkHistory` then looks for
 * violations of the lock invariants: one holder per lock, FIFO grants without barging,
 * strictly increasing fencing tokens, no lost wake-up, exactly one outcome per request.
 *
 * Why sequence numbers are enough: every lock call sends its message to the registry actor
 * synchronously, and a ManualClock fires its timers synchronously inside `advance()`, so
 * the actor sees calls in the order they were recorded and a `list()` shows the state as of
 * its own sequence number. Only outcomes lag: a grant happened somewhere between its
 * request and its outcome. Every check below is sound under that uncertainty: it reports
 * only what no order of events inside those windows can explain.
 *
 * Reentrant acquires are out of scope (they repeat a token on purpose).
 */
import type { LockInfo } from '../../src/index.js';

export type Outcome =
  | { kind: 'granted'; token: number; expiresAt?: number }
  | { kind: 'timeout' | 'aborted' | 'abandoned' }
  | { kind: 'error'; code: string };

export type HistoryEvent =
  | {
      seq: number;
      type: 'acquire';
      id: number;
      lock: string;
      holder: string;
      timeoutMs: number;
      ttlMs?: number;
      at: number;
    }
  | { seq: number; type: 'outcome'; id: number; outcome: Outcome }
  | { seq: number; type: 'abort'; id: number }
  | { seq: number; type: 'release'; id: number; lock: string; token: number }
  | { seq: number; type: 'released'; id: number; ok: boolean; code?: string }
  | { seq: number; type: 'releaseAll'; holder: string }
  | { seq: number; type: 'advance'; from: number; to: number }
  /** `seq` is when list() was called (the state it shows); `snapshot` is filled in when it answers. */
  | { seq: number; type: 'list'; snapshot?: LockInfo[] };

/** An event before the recorder numbers it. */
type Unnumbered<T> = T extends unknown ? Omit<T, 'seq'> : never;

/** Records a history; each method returns the new event's id or seq. */
export class LockHistory {
  readonly events: HistoryEvent[] = [];
  #seq = 0;
  #ids = 0;

  #push(event: Unnumbered<HistoryEvent>): number {
    this.events.push({ ...event, seq: ++this.#seq });
    return this.#seq;
  }

  /** Call right before `locks.acquire(...)`; returns the request id. `at` is the clock's now. */
  acquire(lock: string, holder: string, timeoutMs: number, ttlMs: number | undefined, at: number): number {
    const id = ++this.#ids;
    this.#push({ type: 'acquire', id, lock, holder, timeoutMs, at, ...(ttlMs !== undefined && { ttlMs }) });
    return id;
  }

  outcome(id: number, outcome: Outcome): void {
    this.#push({ type: 'outcome', id, outcome });
  }

  abort(id: number): void {
    this.#push({ type: 'abort', id });
  }

  /** Call right before `locks.release(...)`; returns the release id for {@link released}. */
  release(lock: string, token: number): number {
    const id = ++this.#ids;
    this.#push({ type: 'release', id, lock, token });
    return id;
  }

  released(id: number, ok: boolean, code?: string): void {
    this.#push({ type: 'released', id, ok, ...(code !== undefined && { code }) });
  }

  releaseAll(holder: string): void {
    this.#push({ type: 'releaseAll', holder });
  }

  /** Call right before `clock.advance(...)`: timers it fires act at this seq. */
  advance(from: number, to: number): void {
    this.#push({ type: 'advance', from, to });
  }

  /** Call right before `locks.list()`; pass the answer to the returned function. */
  list(): (snapshot: LockInfo[]) => void {
    const seq = this.#push({ type: 'list' });
    const event = this.events[this.events.length - 1] as Extract<HistoryEvent, { type: 'list' }>;
    if (event.seq !== seq) throw new Error('history out of order');
    return (snapshot) => {
      event.snapshot = snapshot;
    };
  }
}

interface Request {
  id: number;
  seq: number;
  lock: string;
  holder: string;
  timeoutMs: number;
  ttlMs?: number;
  at: number;
  outcomes: Array<{ seq: number; outcome: Outcome }>;
  abortSeq?: number;
}

/** A grant a request was told about: held from somewhere in [startLo, startHi] until `end` (exact). */
interface Hold {
  req: Request;
  lock: string;
  token: number;
  startLo: number;
  startHi: number;
  expiresAt?: number;
  end: number;
  endBy: string;
}

/**
 * Checks a recorded history; returns the violations found (empty when none). With
 * `quiesced`, the run has ended (everything released, time past every deadline): a request
 * without an outcome is then a violation too.
 */
export function checkHistory(events: readonly HistoryEvent[], options: { quiesced: boolean }): string[] {
  const v: string[] = [];
  const requests = new Map<number, Request>();
  const releases = new Map<number, { seq: number; lock: string; token: number; ok?: boolean; code?: string }>();
  const advances: Array<{ seq: number; to: number }> = [];
  const releaseAlls: Array<{ seq: number; holder: string }> = [];
  const lists: Array<{ seq: number; snapshot: LockInfo[] }> = [];

  for (const e of events) {
    if (e.type === 'acquire')
      requests.set(e.id, { ...e, outcomes: [], ...(e.ttlMs !== undefined && { ttlMs: e.ttlMs }) });
    else if (e.type === 'outcome') {
      const r = requests.get(e.id);
      if (r) r.outcomes.push({ seq: e.seq, outcome: e.outcome });
      else v.push(`#${e.seq}: outcome for unknown request ${e.id}`);
    } else if (e.type === 'abort') {
      const r = requests.get(e.id);
      if (r) r.abortSeq ??= e.seq;
    } else if (e.type === 'release') releases.set(e.id, { seq: e.seq, lock: e.lock, token: e.token });
    else if (e.type === 'released') {
      const r = releases.get(e.id);
      if (r) Object.assign(r, { ok: e.ok, code: e.code });
    } else if (e.type === 'advance') advances.push({ seq: e.seq, to: e.to });
    else if (e.type === 'releaseAll') releaseAlls.push({ seq: e.seq, holder: e.holder });
    else if (e.snapshot) lists.push({ seq: e.seq, snapshot: e.snapshot });
  }

  /** The first clock advance after `seq` that reaches `time` (timers due at `time` fire in it). */
  const reach = (seq: number, time: number): number =>
    advances.find((a) => a.seq > seq && a.to >= time)?.seq ?? Infinity;
  const releaseAllOf = (holder: string, after: number): number =>
    releaseAlls.find((a) => a.seq > after && a.holder === holder)?.seq ?? Infinity;
  const okReleasesOf = (lock: string, token: number): number[] =>
    [...releases.values()].filter((r) => r.lock === lock && r.token === token && r.ok).map((r) => r.seq);

  // Exactly one outcome per request, each consistent with what the test did.
  const holds: Hold[] = [];
  for (const r of requests.values()) {
    if (r.outcomes.length > 1) v.push(`request ${r.id} (${r.holder} on ${r.lock}) got ${r.outcomes.length} outcomes`);
    if (r.outcomes.length === 0) {
      if (options.quiesced) v.push(`request ${r.id} (${r.holder} on ${r.lock}, #${r.seq}) never got an outcome`);
      continue;
    }
    const { seq, outcome } = r.outcomes[0]!;
    const where = `request ${r.id} (${r.holder} on ${r.lock}, #${r.seq}→#${seq})`;
    if (outcome.kind === 'timeout' && r.timeoutMs !== 0 && reach(r.seq, r.at + r.timeoutMs) > seq)
      v.push(`${where} timed out before its deadline ${r.at + r.timeoutMs} was reached`);
    if (outcome.kind === 'aborted' && !(r.abortSeq! < seq)) v.push(`${where} reported aborted but was never aborted`);
    if (outcome.kind === 'abandoned' && !(releaseAllOf(r.holder, r.seq) < seq))
      v.push(`${where} reported abandoned without a releaseAll of its holder`);
    if (outcome.kind !== 'granted') continue;
    const expiry = outcome.expiresAt === undefined ? Infinity : reach(r.seq, outcome.expiresAt);
    const released = okReleasesOf(r.lock, outcome.token).find((s) => s > r.seq) ?? Infinity;
    const ends = { release: released, releaseAll: releaseAllOf(r.holder, r.seq), expiry };
    const [endBy, end] = Object.entries(ends).reduce((a, b) => (b[1] < a[1] ? b : a));
    holds.push({
      req: r,
      lock: r.lock,
      token: outcome.token,
      startLo: r.seq,
      startHi: seq,
      end,
      endBy,
      ...(outcome.expiresAt !== undefined && { expiresAt: outcome.expiresAt }),
    });
  }
  const holdByToken = new Map<number, Hold>();
  for (const h of holds) {
    const other = holdByToken.get(h.token);
    if (other) v.push(`token ${h.token} granted twice: requests ${other.req.id} and ${h.req.id}`);
    holdByToken.set(h.token, h);
  }
  const show = (h: Hold): string =>
    `token ${h.token} (${h.req.holder}, #${h.startLo}→#${h.startHi}, ends #${h.end} by ${h.endBy})`;

  for (const a of holds) {
    for (const b of holds) {
      if (a === b) continue;
      // Tokens strictly increase: a grant reported before another was requested has the smaller token.
      if (a.startHi < b.startLo && !(a.token < b.token)) v.push(`tokens not increasing: ${show(a)} then ${show(b)}`);
      if (a.lock !== b.lock || a.token > b.token) continue;
      // At most one holder: once both grants were reported, one must have ended.
      const both = Math.max(a.startHi, b.startHi);
      if (both < a.end && both < b.end) v.push(`two holders of ${a.lock} at #${both}: ${show(a)} and ${show(b)}`);
      // FIFO on grants: on one lock, the earlier request gets the smaller token.
      if (b.startLo < a.startLo) v.push(`grants on ${a.lock} out of request order: ${show(b)} requested first`);
    }
  }

  // No barging: a request still queued when a later request on its lock was granted.
  const leftQueue = (r: Request): number => {
    const o = r.outcomes[0]?.outcome;
    if (!o) return Infinity;
    if (o.kind === 'error' || (o.kind === 'timeout' && r.timeoutMs === 0)) return r.seq; // never queued
    if (o.kind === 'timeout') return reach(r.seq, r.at + r.timeoutMs);
    if (o.kind === 'aborted') return r.abortSeq ?? r.seq;
    if (o.kind === 'abandoned') return releaseAllOf(r.holder, r.seq);
    return -Infinity; // granted: checked by token order above
  };
  for (const r of requests.values()) {
    const left = leftQueue(r);
    if (left === -Infinity) continue;
    for (const b of holds)
      if (b.lock === r.lock && b.startLo > r.seq && left > b.startHi)
        v.push(
          `barging on ${r.lock}: request ${r.id} (${r.holder}, #${r.seq}) still queued at #${b.startHi} when ${show(b)} was granted`,
        );
  }

  // Releases: a held token releases, any other gets NOT_LOCK_HOLDER.
  for (const [id, rel] of releases) {
    const h = holdByToken.get(rel.token);
    if (rel.ok === undefined) continue;
    if (!rel.ok && rel.code !== 'NOT_LOCK_HOLDER') v.push(`release ${id} failed with ${rel.code}`);
    if (!h || h.lock !== rel.lock) continue;
    const held = h.startHi < rel.seq && rel.seq <= h.end;
    if (held && !rel.ok) v.push(`release ${id} (#${rel.seq}) of held ${show(h)} was refused`);
    if (!held && rel.ok && rel.seq !== h.end) v.push(`release ${id} (#${rel.seq}) of ended ${show(h)} succeeded`);
  }

  for (const { seq: s, snapshot } of lists) checkSnapshot(s, snapshot);
  return v;

  function checkSnapshot(s: number, snapshot: LockInfo[]): void {
    const byLock = new Map(snapshot.map((i) => [i.name, i]));
    for (const info of snapshot) {
      // No lost wake-up: a free lock never has waiters.
      if (!info.holder && info.waiters.length > 0)
        v.push(`lost wake-up at #${s}: ${info.name} is free with ${info.waiters.length} waiter(s)`);
      const hi = info.holder;
      if (hi) {
        const h = holdByToken.get(hi.token);
        if (h && (h.lock !== info.name || h.req.holder !== hi.holder || !(h.startLo < s && s < h.end)))
          v.push(`list #${s} shows ${info.name} held by ${hi.holder} with ${show(h)}, not held then`);
        // A token nobody was told about: only a grant racing an abort (handed straight back) explains it.
        if (!h && ![...requests.values()].some((r) => explainsHidden(r, s, info.name, hi.holder)))
          v.push(`list #${s} shows ${info.name} held by ${hi.holder} with unexplained token ${hi.token}`);
        for (const b of holds)
          if (b.startLo > s && b.token <= hi.token)
            v.push(`tokens not increasing: ${show(b)} after list #${s} showed ${hi.token}`);
      }
      let last = -Infinity;
      for (const w of info.waiters) {
        const r = queuedAt(s, info.name, w.holder);
        if (!r) v.push(`list #${s} shows ${w.holder} waiting for ${info.name} without a pending request`);
        else if (r.seq < last) v.push(`list #${s} shows waiters of ${info.name} out of request order at ${w.holder}`);
        else last = r.seq;
      }
    }
    // Every grant reported and not ended holds its lock in the list.
    for (const h of holds)
      if (h.startHi < s && s < h.end && byLock.get(h.lock)?.holder?.token !== h.token)
        v.push(`list #${s} does not show ${show(h)} holding ${h.lock}`);
  }

  function explainsHidden(r: Request, s: number, lock: string, holder: string): boolean {
    const o = r.outcomes[0];
    return r.lock === lock && r.holder === holder && r.seq < s && (!o || (o.outcome.kind === 'aborted' && o.seq > s));
  }

  /** The request by `holder` on `lock` that can be the waiter a list at `s` shows. */
  function queuedAt(s: number, lock: string, holder: string): Request | undefined {
    let found: Request | undefined;
    for (const r of requests.values()) {
      if (r.lock !== lock || r.holder !== holder || r.seq > s) continue;
      const o = r.outcomes[0];
      if (o && (o.seq < s || o.outcome.kind === 'error' || (o.outcome.kind !== 'granted' && leftQueue(r) < s)))
        continue;
      found = r;
    }
    return found;
  }
}

/** The history as text, one event a line, for a failure message. */
export function formatHistory(events: readonly HistoryEvent[]): string {
  return events
    .map((e) => {
      const { seq, type, ...rest } = e;
      const body =
        type === 'list' ? summarize(e.snapshot) : JSON.stringify(rest, (_, x: unknown) => (x === Infinity ? 'Inf' : x));
      return `#${seq} ${type} ${body}`;
    })
    .join('\n');
}

function summarize(snapshot: LockInfo[] | undefined): string {
  if (!snapshot) return '(no answer)';
  return snapshot
    .map(
      (i) =>
        `${i.name}=${i.holder ? `${i.holder.holder}/${i.holder.token}` : '-'}[${i.waiters.map((w) => w.holder).join(',')}]`,
    )
    .join(' ');
}
