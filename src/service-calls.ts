import type { ServiceCalls, ServiceOp } from '../actors/execution/env.js';
import type { Constants } from './constants.js';
import type { Credentials } from './credentials.js';
import type { QueueElementStatus, Queues } from './queues.js';

type Options = Record<string, unknown>;

/** The services a workflow's recorded steps call (see `ctx.queue`, `ctx.constant`, `ctx.credential`). */
export function serviceCalls(queues: Queues, constants: Constants, credentials: Credentials): ServiceCalls {
  return {
    call: (op: ServiceOp, target: string, args: unknown[], requestId: string): Promise<unknown> => {
      const [first, second, third] = args;
      // The request id is `<executionId>:<step>`: elements a workflow creates name its execution.
      const createdBy = requestId.slice(0, requestId.lastIndexOf(':'));
      switch (op) {
        case 'queue.create':
          return queues.create(target, { ...(withCreator(first, createdBy) as Options), requestId });
        case 'queue.bulkCreate': {
          const elements = Array.isArray(first) ? first.map((e) => withCreator(e, createdBy)) : first;
          return queues.bulkCreate(target, elements as Array<Options>, { requestId });
        }
        case 'queue.next':
          return queues.next(target, { ...(first as Options), requestId });
        case 'queue.list':
          return queues.list(target, first as Options);
        case 'queue.get':
          return queues.get(first as string);
        case 'queue.setStatus':
          return queues.setStatus(first as string, second as QueueElementStatus, third as string | undefined, {
            requestId,
          });
        case 'queue.delete':
          return queues.delete(first as string, { requestId });
        case 'constant.get':
          return constants.get(target).then((constant) => constant.value);
      }
    },
    credential: async (name) => {
      const { username, password } = await credentials.get(name);
      return { username, password };
    },
  };
}

/** The element with `createdBy` set, unless the workflow set it; what is not an object is left for the check to refuse. */
function withCreator(element: unknown, createdBy: string): unknown {
  if (typeof element !== 'object' || element === null || Array.isArray(element)) return element;
  return (element as Options).createdBy === undefined ? { ...element, createdBy } : element;
}
