/** weft's public API. Everything not exported here is internal. */
export { Runtime, type RuntimeStatus } from './runtime.js';
export type { RuntimeOptions } from './options.js';
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
  type ErrorCode,
  type ErrorContext,
  type SerializedError,
} from './errors.js';
