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
      switch (op) {
        case 'queue.create':
          return queues.create(target, { ...(first as Options), requestId });
        case 'queue.bulkCreate':
          return queues.bulkCreate(target, first as Array<Options>, { requestId });
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
