import type { ExecutionRecord, HistoryEvent } from '../../actors/execution/history.js';

/** One activity step of an execution, as simpleflow's `workflow.tasks` shows it. */
export interface TaskInfo {
  step: number;
  activity: string;
  taskList: string;
  /** `retrying`: an attempt failed and the next one is due. */
  state: 'scheduled' | 'retrying' | 'completed' | 'failed';
  /** Attempts that have answered so far. */
  attempts: number;
  scheduledAt: Date;
  /** When the last answered attempt started running in a worker. */
  startedAt?: Date;
  endedAt?: Date;
  lastStateAt: Date;
}

/** Where an execution's time went, per activity, as simpleflow's `workflow.profile` shows it. */
export interface ExecutionProfile {
  id: string;
  /** From the execution's start to its end (or now, while it runs). */
  totalMs: number;
  tasks: Array<{
    step: number;
    activity: string;
    state: TaskInfo['state'];
    scheduledAt: Date;
    startedAt?: Date;
    endedAt?: Date;
    /** Scheduled until the last attempt started: queueing, earlier attempts and their backoff. */
    waitingMs: number;
    /** The last attempt's run time. */
    runningMs: number;
    /** `runningMs` as a percentage of `totalMs`. */
    percent: number;
  }>;
}

/** The activity steps of a history, in step order. */
export function tasksOf(history: readonly HistoryEvent[]): TaskInfo[] {
  const tasks = new Map<number, TaskInfo>();
  for (const event of history) {
    if (event.type === 'activity.scheduled') {
      const at = new Date(event.at);
      tasks.set(event.step, {
        step: event.step,
        activity: event.activity,
        taskList: event.taskList,
        state: 'scheduled',
        attempts: 0,
        scheduledAt: at,
        lastStateAt: at,
      });
      continue;
    }
    if (event.type !== 'activity.completed' && event.type !== 'activity.failed') continue;
    const task = tasks.get(event.step);
    if (!task) continue;
    task.attempts = Math.max(task.attempts, event.attempt);
    task.lastStateAt = new Date(event.at);
    if (event.startedAt !== undefined) task.startedAt = new Date(event.startedAt);
    if (event.type === 'activity.completed') {
      task.state = 'completed';
      task.endedAt = new Date(event.at);
    } else if (event.retryAt !== undefined) task.state = 'retrying';
    else {
      task.state = 'failed';
      task.endedAt = new Date(event.at);
    }
  }
  return [...tasks.values()].sort((a, b) => a.step - b.step);
}

export function profileOf(record: ExecutionRecord, history: readonly HistoryEvent[], now: number): ExecutionProfile {
  const start = record.startedAt ?? record.createdAt;
  const totalMs = Math.max(0, (record.endedAt ?? now) - start);
  return {
    id: record.id,
    totalMs,
    tasks: tasksOf(history).map((t) => {
      const started = t.startedAt?.getTime();
      const ended = t.endedAt?.getTime() ?? (t.state === 'scheduled' ? now : t.lastStateAt.getTime());
      const runningMs = started === undefined ? 0 : Math.max(0, ended - started);
      return {
        step: t.step,
        activity: t.activity,
        state: t.state,
        scheduledAt: t.scheduledAt,
        ...(t.startedAt && { startedAt: t.startedAt }),
        ...(t.endedAt && { endedAt: t.endedAt }),
        waitingMs: Math.max(0, (started ?? ended) - t.scheduledAt.getTime()),
        runningMs,
        percent: totalMs === 0 ? 0 : Math.round((runningMs / totalMs) * 10_000) / 100,
      };
    }),
  };
}
