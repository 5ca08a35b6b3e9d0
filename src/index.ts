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
export type { Logs, LogQuery, LogPage, LogFollowOptions } from './logs.js';
export type { RetentionPass } from './retention.js';
export type {
  Queues,
  QueueElement,
  QueueElementStatus,
  QueueElementInput,
  QueueRequestOptions,
  QueueNextOptions,
  QueueListOptions,
  QueueSummary,
} from './queues.js';
export type {
  Triggers,
  Trigger,
  CronTrigger,
  QueueTrigger,
  TriggerRunInfo,
  TriggerDefinition,
  CronTriggerDefinition,
  QueueTriggerDefinition,
  Overlap,
  CatchUp,
} from './triggers.js';
export type { Constants, Constant, ConstantListOptions, ConstantPage } from './constants.js';
export type { Credentials, Credential, CredentialInfo, RotateKeyResult } from './credentials.js';
export type { LogLine } from './executions/execution-log.js';
export type { HistoryEvent } from '../actors/execution/history.js';
export type { RuntimeOptions, RetentionOptions } from './options.js';
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
  type QueueElementView,
  type QueueElementInputView,
  type QueueSummaryView,
  type ConstantView,
  type ConstantPageView,
  type CredentialView,
  type CredentialSecretView,
  type RotateKeyView,
  type TriggerView,
  type TriggerRunView,
  type CronTriggerBody,
  type QueueTriggerBody,
  type LogQueryOptions,
  type LogPageView,
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
  ReaderTooSlowError,
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
  QueueElementNotFoundError,
  ConstantNotFoundError,
  CredentialNotFoundError,
  SecretKeyMismatchError,
  TriggerNotFoundError,
  TriggerExistsError,
  InvalidCronError,
  type ErrorCode,
  type ErrorContext,
  type SerializedError,
} from './errors.js';
