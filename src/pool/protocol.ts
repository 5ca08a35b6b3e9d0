import type { RemoteError } from '../errors.js';

/** What the main thread sends a worker for one activity attempt (structured-cloned). */
export interface WorkerTask {
  taskId: number;
  /** File URL of the module exporting the activity. */
  module: string;
  activity: string;
  args: unknown[];
  executionId: string;
  attempt: number;
  idempotencyKey: string;
  logLevel: string;
}

/** A worker's answer: never a rejection, so the activity's error keeps its code. */
export type WorkerOutcome = { ok: true; value: unknown } | { ok: false; error: RemoteError };

/** Messages on the pool's control channel (a BroadcastChannel shared by the main thread and the workers). */
export type ControlMessage =
  { type: 'abort'; taskId: number; reason: string } | { type: 'heartbeat'; taskId: number; details?: unknown };

export const CONTROL_CHANNEL = 'weft:activity-control';
