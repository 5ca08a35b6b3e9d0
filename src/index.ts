/** weft's public API. Everything not exported here is internal. */
export { Runtime, type RuntimeStatus, type StartOptions, type ExecutionPage } from './runtime.js';
export {
  workflow,
  type Workflow,
  type WorkflowContext,
  type WorkflowFunction,
  type WorkflowOptions,
  type WorkflowSetting,
  type LockOptions,
  type ActivityOptions,
  type ActivityProxies,
  type ActivityStub,
  type RetryPolicy,
  type RetryPattern,
} from './workflow.js';
export { activityContext, type ActivityContext } from './activity-context.js';
export type { ExecutionHandle, ExecutionInfo, ExecutionStatus, LogLevel } from './executions/handle.js';
export type { TaskInfo, ExecutionProfile } from './executions/tasks.js';
export type { RuntimeMetrics, Histogram } from './metrics.js';
export type { LogLine } from './executions/execution-log.js';
export type { HistoryEvent } from '../actors/execution/history.js';
export type { RuntimeOptions } from './options.js';
export type { WeftConfig } from './config.js';
export {
  WeftClient,
  type WeftClientOptions,
  type ExecutionView,
  type ExecutionPageView,
  type SettingView,
  type SettingPageView,
  type LockView,
  type LockGrantView,
  type TaskView,
  type ProfileView,
  type ProfileRowView,
  type ResultView,
  type ErrorView,
} from './client/client.js';
export type { Durability } from './store/journal.js';
export { ManualClock, systemClock, type Clock, type TimerHandle } from './clock.js';
export type {
  Settings,
  Setting,
  SettingKeyOptions,
  SettingWriteOptions,
  SettingUpdateOptions,
  SettingListOptions,
  SettingPage,
} from './settings.js';
export type { Locks, AcquireOptions, LockGrant, LockInfo } from './locks.js';
export {
  WeftError,
  errorFromJSON,
  ActivityFailure,
  ActivityNotFoundError,
  ActivityTimeoutError,
  CancelledError,
  ExecutionEndedError,
  ExecutionNotFoundError,
  SignalTimeoutError,
  ExecutionTimeoutError,
  NonDeterminismError,
  WorkerCrashedError,
  WorkflowError,
  WorkflowNotFoundError,
  type ActivityTimeoutKind,
  type RemoteError,
  AbortedError,
  InvalidArgumentError,
  InvalidNameError,
  InvalidValueError,
  LeaseExpiredError,
  LockAbandonedError,
  LockAlreadyHeldError,
  LockAlreadyWaitingError,
  LockTimeoutError,
  NotLockHolderError,
  RuntimeClosedError,
  SettingExistsError,
  SettingNotFoundError,
  StaleTokenError,
  StoreFailedError,
  StoreLockedError,
  VersionConflictError,
  InvalidRequestError,
  UnauthorizedError,
  RouteNotFoundError,
  PayloadTooLargeError,
  DaemonUnreachableError,
  ConfigError,
  type ErrorCode,
  type ErrorContext,
  type SerializedError,
} from './errors.js';
