/** What the daemon's HTTP API answers, as types: times are ISO strings, values JSON. */
import type { ExecutionStatus } from '../../actors/execution/history.js';
import type { ErrorCode } from '../errors.js';

export interface WeftClientOptions {
  /** The daemon's base URL, e.g. `http://127.0.0.1:7420`. */
  url: string;
  /** The bearer token (WEFT_TOKEN, or the daemon's `<data>/token` file). */
  token: string;
}

/** An error as the API reports it. */
export interface ErrorView {
  /** A weft error code, or INTERNAL for anything the daemon did not expect. */
  code: ErrorCode | 'INTERNAL';
  message: string;
  context?: Record<string, unknown>;
}

/** An execution as the API answers it; times are ISO strings. */
export interface ExecutionView {
  id: string;
  workflow: string;
  version: string;
  status: ExecutionStatus;
  input: { args: unknown[]; kwargs?: Record<string, unknown> };
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  result?: unknown;
  error?: ErrorView;
}

export interface ExecutionPageView {
  items: ExecutionView[];
  /** Present when there may be more: pass it back as `cursor`. */
  cursor?: string;
}

export interface TaskView {
  step: number;
  activity: string;
  taskList: string;
  state: 'scheduled' | 'retrying' | 'completed' | 'failed';
  attempts: number;
  scheduledAt: string;
  startedAt?: string;
  endedAt?: string;
  lastStateAt: string;
}

export interface ProfileRowView {
  step: number;
  activity: string;
  state: TaskView['state'];
  scheduledAt: string;
  startedAt?: string;
  endedAt?: string;
  waitingMs: number;
  runningMs: number;
  /** Share of the execution's total time spent running this task, 0–100. */
  percent: number;
}

export interface ProfileView {
  id: string;
  totalMs: number;
  items: ProfileRowView[];
}

export interface SettingView {
  id: string;
  name: string;
  value: unknown;
  version: number;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}

export interface SettingPageView {
  items: SettingView[];
  cursor?: string;
}

export interface LockView {
  name: string;
  holder?: { holder: string; token: number; since: string; count: number; expiresAt?: string };
  waiters: Array<{ holder: string; since: string; deadline?: string }>;
}

export interface LockGrantView {
  name: string;
  holder: string;
  token: number;
  /** When the lease expires unless renewed. */
  expiresAt?: string;
}

/** `result()`'s answer: the final execution, or (when the long-poll timed out first) its id and status. */
export type ResultView =
  { done: true; execution: ExecutionView } | { done: false; execution: { id: string; status: ExecutionStatus } };

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export type SettingKeyKind = 'id' | 'name';
