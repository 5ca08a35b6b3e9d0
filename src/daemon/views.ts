/**
 * What the HTTP API answers: the runtime's objects as JSON (times as ISO strings, errors as
 * `{ code, message, context? }`, values as JSON can hold them).
 */
import superjson from 'superjson';
import type { WeftError } from '../errors.js';
import type { ExecutionInfo } from '../executions/handle.js';
import type { ExecutionProfile, TaskInfo } from '../executions/tasks.js';
import type { LockGrant, LockInfo } from '../locks.js';
import type { Setting } from '../settings.js';
// The wire format is written once, on the client's side; the daemon builds it.
import type {
  ErrorView,
  ExecutionView,
  LockGrantView as GrantView,
  LockView,
  ProfileView,
  SettingView,
  TaskView,
} from '../client/views.js';

/**
 * A value as JSON can hold it. superjson's JSON half turns what JSON.stringify would throw on
 * or lose (BigInt, Map, Set, NaN) into plain data; a Date becomes its ISO string either way.
 */
export function jsonValue(value: unknown): unknown {
  if (value === undefined) return undefined;
  return superjson.serialize(value).json;
}

export function errorView(error: WeftError): ErrorView {
  const hasContext = Object.keys(error.context).length > 0;
  return {
    code: error.code,
    message: error.message,
    ...(hasContext && { context: jsonValue({ ...error.context }) as Record<string, unknown> }),
  };
}

export function executionView(info: ExecutionInfo): ExecutionView {
  const result = jsonValue(info.result);
  return {
    id: info.id,
    workflow: info.workflow,
    version: info.version,
    status: info.status,
    input: {
      args: (jsonValue(info.input.args) as unknown[] | undefined) ?? [],
      ...(info.input.kwargs !== undefined && { kwargs: jsonValue(info.input.kwargs) as Record<string, unknown> }),
    },
    createdAt: info.createdAt.toISOString(),
    ...optionalTime('startedAt', info.startedAt),
    ...optionalTime('endedAt', info.endedAt),
    ...(result !== undefined && { result }),
    ...(info.error && { error: errorView(info.error) }),
  };
}

export function settingView(setting: Setting): SettingView {
  return {
    id: setting.id,
    name: setting.name,
    value: jsonValue(setting.value) ?? null,
    version: setting.version,
    createdAt: setting.createdAt.toISOString(),
    updatedAt: setting.updatedAt.toISOString(),
    updatedBy: setting.updatedBy,
  };
}

export function lockView(lock: LockInfo): LockView {
  const h = lock.holder;
  return {
    name: lock.name,
    ...(h && {
      holder: {
        holder: h.holder,
        token: h.token,
        since: h.since.toISOString(),
        count: h.count,
        ...optionalTime('expiresAt', h.expiresAt),
      },
    }),
    waiters: lock.waiters.map((w) => ({
      holder: w.holder,
      since: w.since.toISOString(),
      ...optionalTime('deadline', w.deadline),
    })),
  };
}

export function grantView(grant: LockGrant): GrantView {
  return {
    name: grant.name,
    holder: grant.holder,
    token: grant.token,
    ...optionalTime('expiresAt', grant.expiresAt),
  };
}

export function taskView(task: TaskInfo): TaskView {
  return {
    step: task.step,
    activity: task.activity,
    taskList: task.taskList,
    state: task.state,
    attempts: task.attempts,
    scheduledAt: task.scheduledAt.toISOString(),
    ...optionalTime('startedAt', task.startedAt),
    ...optionalTime('endedAt', task.endedAt),
    lastStateAt: task.lastStateAt.toISOString(),
  };
}

export function profileView(profile: ExecutionProfile): ProfileView {
  return {
    id: profile.id,
    totalMs: profile.totalMs,
    items: profile.tasks.map((t) => ({
      step: t.step,
      activity: t.activity,
      state: t.state,
      scheduledAt: t.scheduledAt.toISOString(),
      ...optionalTime('startedAt', t.startedAt),
      ...optionalTime('endedAt', t.endedAt),
      waitingMs: t.waitingMs,
      runningMs: t.runningMs,
      percent: t.percent,
    })),
  };
}

/** `{ [key]: iso }` when the time is set, else nothing to spread. */
function optionalTime<K extends string>(key: K, time: Date | undefined): Partial<Record<K, string>> {
  return time === undefined ? {} : ({ [key]: time.toISOString() } as Record<K, string>);
}
