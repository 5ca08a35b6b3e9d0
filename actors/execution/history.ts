import type { RemoteError, SerializedError } from '../../src/errors.js';
import type { WriteOp } from '../../src/store/store.js';
import type { LockGrantRecord, SettingRecord } from '../registry/messages.js';

/** Steps other than activities: recorded values, timers, settings, locks and signals. */
export type EffectKind =
  | 'now'
  | 'random'
  | 'uuid'
  | 'sleep'
  | 'setting.get'
  | 'setting.save'
  | 'lock.acquire'
  | 'lock.release'
  | 'signal.wait'
  | 'signal.send'
  | 'child'
  | 'call';

/** A signal in an execution's inbox (kind `signals`, key `<id>\0<seq>`), kept until the execution ends. */
export interface SignalRecord {
  /** Global arrival order. */
  seq: number;
  name: string;
  /** Encoded payload. */
  payload: string;
  at: number;
  /** The sending execution, when a workflow sent it. */
  from?: string;
}

export function signalKey(executionId: string, seq: number): string {
  return executionId + '\u0000' + String(seq).padStart(16, '0');
}

/** Final statuses: an execution in one never changes again. */
export const FINAL_STATUSES = ['SUCCESS', 'FAILED', 'CANCELLED', 'TIMED_OUT'] as const;
export type FinalStatus = (typeof FINAL_STATUSES)[number];
/** Waiting statuses: RUNNING, but blocked only on lock requests, or only on timers. */
export type WaitingStatus = 'WAITING_LOCK' | 'WAITING_SIGNAL' | 'WAITING_CHILD' | 'SLEEPING';
export type ExecutionStatus = 'PENDING' | 'RUNNING' | WaitingStatus | FinalStatus;

export function isFinal(status: ExecutionStatus): status is FinalStatus {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

/** An error as recorded: weft errors keep code and context; user errors keep name, message, stack and code. */
export type RecordedError = SerializedError | (RemoteError & { context?: undefined });

/** The execution's summary row (kind `executions`). Values stay encoded (see src/store/codec.ts). */
export interface ExecutionRecord {
  id: string;
  workflow: string;
  version: string;
  status: ExecutionStatus;
  /** Encoded `{ args, kwargs? }`. */
  input: string;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  /** Encoded result, once SUCCESS. */
  result?: string;
  error?: RecordedError;
  /** The parent execution, for a child. */
  parent?: string;
}

/**
 * One event of an execution's history (kind `history`, key `<id>\0<seq>`). Every step is
 * here before its effect is visible to the workflow: replay rebuilds from these alone.
 */
export type HistoryEvent =
  | { type: 'activity.scheduled'; step: number; activity: string; taskList: string; args: string; at: number }
  | {
      type: 'activity.completed';
      step: number;
      attempt: number;
      result: string;
      startedAt: number;
      at: number;
    }
  | {
      type: 'activity.failed';
      step: number;
      attempt: number;
      error: RecordedError;
      startedAt?: number;
      at: number;
      /** When the next attempt is due; absent when this failure is final. */
      retryAt?: number;
    }
  | { type: 'value.recorded'; step: number; kind: 'now' | 'random' | 'uuid'; value: string; at: number }
  | { type: 'timer.started'; step: number; fireAt: number; at: number }
  | { type: 'timer.fired'; step: number; at: number }
  | { type: 'setting.read'; step: number; name: string; setting?: SettingRecord; at: number }
  | { type: 'setting.saved'; step: number; name: string; setting: SettingRecord; at: number }
  | { type: 'lock.requested'; step: number; name: string; at: number }
  | { type: 'lock.granted'; step: number; name: string; grant: LockGrantRecord; at: number }
  | { type: 'lock.releasing'; step: number; name: string; token: number; at: number }
  | { type: 'lock.released'; step: number; name: string; token: number; at: number }
  | { type: 'signal.waiting'; step: number; name: string; deadline: number | null; at: number }
  | { type: 'signal.received'; step: number; name: string; seq: number; payload: string; at: number }
  | { type: 'signal.sent'; step: number; name: string; target: string; at: number }
  | { type: 'child.started'; step: number; workflow: string; childId: string; at: number }
  | {
      type: 'child.ended';
      step: number;
      childId: string;
      status: FinalStatus;
      result?: string;
      error?: RecordedError;
      at: number;
    }
  | { type: 'call.requested'; step: number; name: string; at: number }
  | { type: 'call.completed'; step: number; name: string; result: string; at: number }
  | { type: 'step.failed'; step: number; kind: EffectKind; name?: string; error: RecordedError; at: number };

export function historyKey(executionId: string, seq: number): string {
  return executionId + '\u0000' + String(seq).padStart(8, '0');
}

export function historyRange(executionId: string): { gt: string; lt: string } {
  return { gt: executionId + '\u0000', lt: executionId + '\u0001' };
}

export function putHistory(executionId: string, seq: number, event: HistoryEvent): WriteOp {
  return { type: 'put', kind: 'history', key: historyKey(executionId, seq), value: JSON.stringify(event) };
}

export function putExecution(record: ExecutionRecord): WriteOp {
  return { type: 'put', kind: 'executions', key: record.id, value: JSON.stringify(record) };
}
