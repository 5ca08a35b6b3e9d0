import type { Logger } from 'pino';
import { InvalidArgumentError, toRemoteError, WeftError } from '../../src/errors.js';
import type { LockGrant } from '../../src/locks.js';
import { assertName } from '../../src/names.js';
import type { Setting } from '../../src/settings.js';
import { encodeValue } from '../../src/store/codec.js';
import type {
  ActivityOptions,
  ActivityProxies,
  ActivityStub,
  LockOptions,
  Workflow,
  WorkflowContext,
  WorkflowQueue,
  WorkflowSetting,
} from '../../src/workflow.js';
import type { ServiceCalls, ServiceOp } from './env.js';
import type { Effect, ExecutionEvent } from './events.js';
import type { RecordedError } from './history.js';

/**
 * Runs a workflow function against its execution actor. The function sees only the
 * context; each context call becomes a numbered step sent to the actor as an event, and
 * the promise it returns settles when the actor says so (after the step is recorded).
 * Steps are numbered in call order, which replay relies on: deterministic code asks for
 * the same steps in the same order, and gets recorded results back at once.
 */
export function runWorkflow(
  definition: Workflow,
  executionId: string,
  input: { args: unknown[]; kwargs?: Record<string, unknown> },
  send: (event: ExecutionEvent) => void,
  makeLog: () => Logger,
  replayUntil: number,
  services: ServiceCalls,
): void {
  let step = 0;
  // Made on first use: most workflows never log, and a child logger per execution costs.
  let log: Logger | undefined;
  const logger = (): Logger => {
    if (log) return log;
    log = makeLog();
    // While replay re-runs recorded steps, log lines were written the first time: keep quiet.
    if (step < replayUntil) log.level = 'silent';
    return log;
  };
  const next = (): number => {
    if (++step >= replayUntil && log?.level === 'silent') log.level = 'trace';
    return step;
  };
  const call = (activity: string, args: unknown[], options: ActivityOptions): Promise<unknown> => {
    const future = new Promise((resolve, reject) =>
      send({ type: 'activity.call', step: next(), activity, args, options, resolve, reject }),
    );
    // A future the workflow never awaits must not fail as an unhandled rejection: that
    // would take the whole process down. Awaiting it still throws.
    future.catch(() => undefined);
    return future;
  };

  const effect = <T>(e: Effect): Promise<T> => {
    const future = new Promise<T>((resolve, reject) =>
      send({ type: 'effect.call', step: next(), effect: e, resolve: resolve as (v: unknown) => void, reject }),
    );
    future.catch(() => undefined); // as for activities: an unawaited failure must not crash the process
    return future;
  };

  const setting = <T>(name: string): WorkflowSetting<T> => {
    assertName('setting name', name);
    let held: LockGrant | undefined;
    return {
      get: () => effect<Setting<T> | undefined>({ kind: 'setting.get', name }),
      save: async (value, options = {}) => {
        const { expectedVersion } = options;
        return effect<Setting<T>>({
          kind: 'setting.save',
          name,
          value: encodeValue(value),
          ...(expectedVersion !== undefined && { expectedVersion }),
        });
      },
      acquire: async (options = {}) => {
        const { timeoutMs = 60_000, reentrant = false } = options;
        if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))
          throw new InvalidArgumentError('timeoutMs', 'it must be a number of ms, 0 or more, or Infinity');
        held = await effect<LockGrant>({ kind: 'lock.acquire', name, timeoutMs, reentrant });
        return held;
      },
      release: async () => {
        if (!held)
          throw new InvalidArgumentError('release', `this execution does not hold lock ${name} through this handle`);
        const token = held.token;
        held = undefined;
        await effect<void>({ kind: 'lock.release', name, token });
      },
    };
  };

  const queue = <T>(name: string): WorkflowQueue<T> => {
    assertName('queue name', name);
    const ask = <R>(op: ServiceOp, ...args: unknown[]): Promise<R> => {
      try {
        encodeValue(args); // refuse what cannot be stored, here in the workflow
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      return effect<R>({ kind: 'call', name: `${op} ${name}`, op, target: name, args });
    };
    return {
      create: (data, options = {}) => ask('queue.create', { ...options, ...(data !== undefined && { data }) }),
      bulkCreate: (elements) => ask('queue.bulkCreate', elements),
      next: (options = {}) => ask('queue.next', options),
      list: (options = {}) => ask('queue.list', options),
      get: (id) => ask('queue.get', id),
      setStatus: (id, status, message) =>
        ask('queue.setStatus', id, status, ...(message !== undefined ? [message] : [])),
      delete: (id) => ask('queue.delete', id),
    };
  };

  const ctx: WorkflowContext = {
    executionId,
    workflow: definition.name,
    input,
    get log() {
      return logger();
    },
    activities<T>(options: ActivityOptions = {}): ActivityProxies<T> {
      return new Proxy({} as ActivityProxies<T>, {
        get(_, name) {
          if (typeof name !== 'string') return undefined;
          const stub = ((...args: unknown[]) => call(name, args, options)) as ActivityStub<unknown[], unknown>;
          stub.with =
            (override: ActivityOptions) =>
            (...args: unknown[]) =>
              call(name, args, { ...options, ...override });
          return stub;
        },
      });
    },
    now: () => effect<Date>({ kind: 'now' }),
    random: () => effect<number>({ kind: 'random' }),
    uuid: () => effect<string>({ kind: 'uuid' }),
    sleep: (ms: number) => {
      if (!(Number.isFinite(ms) && ms >= 0))
        return Promise.reject(new InvalidArgumentError('ms', 'sleep takes a finite number of ms, 0 or more'));
      return effect<void>({ kind: 'sleep', ms });
    },
    setting,
    waitSignal: async <T>(name: string, options: { timeoutMs?: number } = {}): Promise<T> => {
      assertName('signal name', name);
      const { timeoutMs = Infinity } = options;
      if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))
        throw new InvalidArgumentError('timeoutMs', 'it must be a number of ms, 0 or more, or Infinity');
      return effect<T>({ kind: 'signal.wait', name, timeoutMs });
    },
    signal: async (target: string, name: string, payload?: unknown): Promise<void> => {
      assertName('signal name', name);
      await effect<void>({ kind: 'signal.send', name, target, payload: encodeValue(payload) });
    },
    child: async <A extends unknown[], R>(workflow: Workflow<A, R> | string, ...args: A): Promise<R> => {
      const name = typeof workflow === 'string' ? workflow : workflow.name;
      encodeValue(args); // refuse what cannot be stored, here in the parent
      return effect<R>({ kind: 'child', workflow: name, input: { args } });
    },
    queue,
    constant: (name: string) => {
      assertName('constant name', name);
      return effect<string>({ kind: 'call', name: `constant.get ${name}`, op: 'constant.get', target: name, args: [] });
    },
    credential: (name: string) => {
      assertName('credential name', name);
      return services.credential(name);
    },
    withLock: async <R>(name: string, fn: () => Promise<R>, options?: LockOptions): Promise<R> => {
      const lock = setting(name);
      await lock.acquire(options);
      try {
        return await fn();
      } finally {
        await lock.release();
      }
    },
  };

  const args = input.kwargs && Object.keys(input.kwargs).length > 0 ? [...input.args, input.kwargs] : input.args;
  let returned: Promise<unknown>;
  try {
    returned = Promise.resolve(definition.fn(ctx, ...args));
  } catch (err) {
    returned = Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
  returned.then(
    (value) => {
      let result: string;
      try {
        result = encodeValue(value);
      } catch (err) {
        return send({ type: 'workflow.failed', error: recordError(err) });
      }
      send({ type: 'workflow.succeeded', result });
    },
    (err: unknown) => send({ type: 'workflow.failed', error: recordError(err) }),
  );
}

/** weft errors keep their code and context; anything else keeps name, message, stack and code. */
export function recordError(err: unknown): RecordedError {
  return err instanceof WeftError ? err.toJSON() : toRemoteError(err);
}
