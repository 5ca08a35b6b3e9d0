import { Cron } from 'croner';
import { InvalidArgumentError, InvalidCronError } from '../../src/errors.js';

/** A compiled cron expression: only croner's parser and next-time arithmetic, never its timers. */
export interface Schedule {
  /** The first scheduled time strictly after `after` (epoch ms); undefined when there is none. */
  next(after: number): number | undefined;
}

/** Five fields (minute to weekday), six (seconds first), or a nickname such as `@hourly`. */
const SHAPE = /^(@[a-z]+|\S+(\s+\S+){4,5})$/i;

/**
 * Compiles a cron expression in a time zone (default: UTC, so a schedule does not move with
 * the host's zone). INVALID_CRON for an expression croner rejects, or one that never fires.
 */
export function compileCron(expression: string, timezone?: string): Schedule {
  if (typeof expression !== 'string' || expression.length > 256 || !SHAPE.test(expression.trim()))
    throw new InvalidCronError(
      String(expression),
      'it needs 5 fields (minute hour day month weekday), 6, or @nickname',
    );
  if (timezone !== undefined) assertTimezone(timezone);
  let cron: Cron;
  try {
    // Without a function croner schedules nothing; `paused` makes sure of it. UTC as an
    // offset, not a zone: zone arithmetic goes through Intl and costs ~60 times more.
    cron = new Cron(expression.trim(), { paused: true, ...(timezone !== undefined ? { timezone } : { utcOffset: 0 }) });
  } catch (err) {
    throw new InvalidCronError(expression, String((err as Error).message).replace(/^CronPattern: /, ''));
  }
  const schedule: Schedule = {
    next: (after) => cron.nextRun(new Date(after))?.getTime() ?? undefined,
  };
  return schedule;
}

/** INVALID_CRON when `schedule` has no time after `now` (`0 0 30 2 *`: February 30th). */
export function assertFires(expression: string, schedule: Schedule, now: number): number {
  const next = schedule.next(now);
  if (next === undefined) throw new InvalidCronError(expression, 'it never fires');
  return next;
}

export function assertTimezone(timezone: unknown): asserts timezone is string {
  if (typeof timezone !== 'string' || timezone.length === 0 || timezone.length > 64)
    throw new InvalidArgumentError('timezone', 'it must be an IANA time zone name, e.g. Europe/Oslo');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new InvalidArgumentError('timezone', `${JSON.stringify(timezone)} is not a time zone this Node.js knows`);
  }
}

/** Scheduled times past which {@link dueTimes} stops counting one by one. */
const WALK = 250;
/** A bound on any one window's walk, whatever the schedule's shape. */
const MAX_STEPS = 100_000;

export interface DueTimes {
  /** The newest `keep` scheduled times in [from, to], oldest first. */
  times: number[];
  /** How many there are in all; a lower bound when `exact` is false. */
  total: number;
  exact: boolean;
  /** The first scheduled time after `to`. */
  next: number | undefined;
}

/**
 * The scheduled times from `from` (itself a scheduled time) to `to`, both included. After
 * a long downtime a fine schedule has millions: past {@link WALK} it looks for the newest
 * `keep` in windows that widen back from `to`, so the work stays bounded.
 */
export function dueTimes(schedule: Schedule, from: number, to: number, keep: number): DueTimes {
  const walked: number[] = [];
  let t: number | undefined = from;
  while (t !== undefined && t <= to && walked.length < WALK) {
    walked.push(t);
    t = schedule.next(t);
  }
  if (t === undefined || t > to) return { times: walked.slice(-keep), total: walked.length, exact: true, next: t };
  const next = schedule.next(to);
  const last = walked[walked.length - 1] as number;
  let span = Math.max(1000, Math.ceil(((last - from) / walked.length) * keep * 2));
  for (;;) {
    const start = Math.max(from, to - span);
    const tail: number[] = [];
    let steps = 0;
    for (let u = schedule.next(start - 1); u !== undefined && u <= to && steps < MAX_STEPS; u = schedule.next(u)) {
      tail.push(u);
      if (tail.length > keep) tail.shift();
      steps++;
    }
    if (tail.length >= keep || start === from || steps === MAX_STEPS)
      return { times: tail, total: WALK, exact: false, next };
    span *= 4;
  }
}
