import { toRemoteError, WeftError } from '../../src/errors.js';
import { encodeValue } from '../../src/store/codec.js';
import type { ActivityOptions, ActivityProxies, ActivityStub, Workflow, WorkflowContext } from '../../src/workflow.js';
import type { ExecutionEvent } from './events.js';
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
): void {
  let step = 0;
  const call = (activity: string, args: unknown[], options: ActivityOptions): Promise<unknown> => {
    const future = new Promise((resolve, reject) =>
      send({ type: 'activity.call', step: ++step, activity, args, options, resolve, reject }),
    );
    // A future the workflow never awaits must not fail as an unhandled rejection: that
    // would take the whole process down. Awaiting it still throws.
    future.catch(() => undefined);
    return future;
  };

  const ctx: WorkflowContext = {
    executionId,
    workflow: definition.name,
    input,
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
