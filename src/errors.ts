/**
 * Every error weft raises is a {@link WeftError} with a stable `code`. Errors cross threads
 * and disks, so they are rebuilt from their code ({@link errorFromJSON}), never from their
 * prototype; match on `err.code`, not on message text.
 */

/** Stable error codes. Each is documented in the README's "Error codes" table. */
export type ErrorCode =
  | 'INVALID_NAME'
  | 'INVALID_VALUE'
  | 'INVALID_ARGUMENT'
  | 'SETTING_NOT_FOUND'
  | 'SETTING_EXISTS'
  | 'VERSION_CONFLICT'
  | 'STALE_TOKEN'
  | 'LOCK_TIMEOUT'
  | 'LOCK_ALREADY_HELD'
  | 'LOCK_ALREADY_WAITING'
  | 'LOCK_ABANDONED'
  | 'NOT_LOCK_HOLDER'
  | 'LEASE_EXPIRED'
  | 'STORE_LOCKED'
  | 'STORE_FAILED'
  | 'RUNTIME_CLOSED'
  | 'ABORTED'
  | 'READER_TOO_SLOW'
  | 'ACTIVITY_FAILED'
  | 'ACTIVITY_TIMEOUT'
  | 'ACTIVITY_NOT_FOUND'
  | 'WORKER_CRASHED'
  | 'CANCELLED'
  | 'NON_DETERMINISM'
  | 'WORKFLOW_NOT_FOUND'
  | 'WORKFLOW_ERROR'
  | 'EXECUTION_NOT_FOUND'
  | 'EXECUTION_TIMEOUT'
  | 'EXECUTION_ENDED'
  | 'SIGNAL_TIMEOUT'
  | 'INVALID_REQUEST'
  | 'UNAUTHORIZED'
  | 'ROUTE_NOT_FOUND'
  | 'PAYLOAD_TOO_LARGE'
  | 'DAEMON_UNREACHABLE'
  | 'CONFIG_INVALID'
  | 'QUEUE_ELEMENT_NOT_FOUND'
  | 'CONSTANT_NOT_FOUND'
  | 'CREDENTIAL_NOT_FOUND'
  | 'SECRET_KEY_MISMATCH'
  | 'TRIGGER_NOT_FOUND'
  | 'TRIGGER_EXISTS'
  | 'INVALID_CRON'
  | 'INTERNAL';

export type ErrorContext = Readonly<Record<string, unknown>>;

/** Base class of every weft error: a stable `code`, readonly `context` and an optional `cause`. */
export class WeftError extends Error {
  readonly code: ErrorCode;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.context = Object.freeze({ ...context });
    this.name = new.target.name;
  }

  /** A plain, structured-clone-safe form; {@link errorFromJSON} rebuilds the class from `code`. */
  toJSON(): SerializedError {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      context: { ...this.context },
      ...(this.stack !== undefined && { stack: this.stack }),
      ...(this.cause !== undefined && { cause: toRemoteError(this.cause) }),
    };
  }
}

export interface SerializedError {
  name: string;
  code: ErrorCode;
  message: string;
  context: Record<string, unknown>;
  stack?: string;
  cause?: RemoteError;
}

/** An error from user code (an activity or a workflow), as it crosses threads and disks. */
export interface RemoteError {
  name: string;
  message: string;
  stack?: string;
  /** The error's own `code`, kept (Piscina alone drops it). */
  code?: string | number;
}

/** A name (setting, lock, holder) is empty, too long, or uses characters outside the documented set. */
export class InvalidNameError extends WeftError {
  constructor(what: string, name: unknown, reason: string) {
    // Only a string is kept as it was: anything else is described, so the error stays cloneable.
    const shown = typeof name === 'string' ? name : `(a ${name === null ? 'null' : typeof name})`;
    super('INVALID_NAME', `Invalid ${what} ${JSON.stringify(shown)}: ${reason}`, { what, name: shown });
  }
}

/** A value cannot be stored: superjson cannot encode it (functions, symbols, forbidden keys). */
export class InvalidValueError extends WeftError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super('INVALID_VALUE', `Value cannot be stored: ${reason}`, { reason }, options);
  }
}

/** An option or argument has the wrong type or range; the message names it. */
export class InvalidArgumentError extends WeftError {
  constructor(argument: string, reason: string) {
    super('INVALID_ARGUMENT', `Invalid ${argument}: ${reason}`, { argument });
  }
}

export class SettingNotFoundError extends WeftError {
  constructor(key: string, by: 'name' | 'id') {
    super('SETTING_NOT_FOUND', `No setting with ${by} ${JSON.stringify(key)}; create it first`, { key, by });
  }
}

export class SettingExistsError extends WeftError {
  constructor(name: string) {
    super('SETTING_EXISTS', `A setting named ${JSON.stringify(name)} already exists; update it instead`, { name });
  }
}

/** Compare-and-set failed: the setting changed since the version the caller read. */
export class VersionConflictError extends WeftError {
  constructor(name: string, expectedVersion: number, currentVersion: number) {
    super(
      'VERSION_CONFLICT',
      `Setting ${JSON.stringify(name)} is at version ${currentVersion}, not ${expectedVersion}; read it again and retry`,
      { name, expectedVersion, currentVersion },
    );
  }
}

/** A write fenced by a lock token arrived after that token stopped holding the lock. */
export class StaleTokenError extends WeftError {
  constructor(name: string, token: number, currentToken: number | undefined) {
    super(
      'STALE_TOKEN',
      `Lock token ${token} no longer holds ${JSON.stringify(name)}` +
        (currentToken === undefined ? ' (the lock is free)' : ` (token ${currentToken} holds it now)`),
      { name, token, currentToken },
    );
  }
}

export class LockTimeoutError extends WeftError {
  constructor(name: string, holder: string, waitedMs: number) {
    super('LOCK_TIMEOUT', `${holder} waited ${waitedMs} ms for lock ${JSON.stringify(name)} and gave up`, {
      name,
      holder,
      waitedMs,
    });
  }
}

/** The holder asked again for a lock it holds without `reentrant: true`. */
export class LockAlreadyHeldError extends WeftError {
  constructor(name: string, holder: string, token: number) {
    super(
      'LOCK_ALREADY_HELD',
      `${holder} already holds lock ${JSON.stringify(name)} (token ${token}); pass reentrant: true to count it`,
      { name, holder, token },
    );
  }
}

/** The holder asked for a lock it is already queued for. */
export class LockAlreadyWaitingError extends WeftError {
  constructor(name: string, holder: string) {
    super('LOCK_ALREADY_WAITING', `${holder} is already waiting for lock ${JSON.stringify(name)}`, { name, holder });
  }
}

/** A waiting request was withdrawn because its holder released everything (e.g. its execution ended). */
export class LockAbandonedError extends WeftError {
  constructor(name: string, holder: string) {
    super('LOCK_ABANDONED', `${holder} stopped waiting for lock ${JSON.stringify(name)}: it released all its locks`, {
      name,
      holder,
    });
  }
}

export class NotLockHolderError extends WeftError {
  constructor(name: string, token: number) {
    super('NOT_LOCK_HOLDER', `Token ${token} does not hold lock ${JSON.stringify(name)}; nothing was changed`, {
      name,
      token,
    });
  }
}

export class LeaseExpiredError extends WeftError {
  constructor(name: string, token: number) {
    super(
      'LEASE_EXPIRED',
      `The lease on ${JSON.stringify(name)} with token ${token} expired before it was renewed; acquire it again`,
      { name, token },
    );
  }
}

/** The data folder is open in another process (or another runtime in this one). */
export class StoreLockedError extends WeftError {
  constructor(dataDir: string, holder: string | undefined, options?: { cause?: unknown }) {
    super(
      'STORE_LOCKED',
      `Data folder ${dataDir} is in use` +
        (holder ? ` by ${holder}` : ' by another process') +
        '; stop that process or choose another folder',
      { dataDir, holder },
      options,
    );
  }
}

/** The store failed to read or write; the runtime stops serving writes. */
export class StoreFailedError extends WeftError {
  constructor(operation: string, options?: { cause?: unknown }) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('STORE_FAILED', `Store ${operation} failed${reason}`, { operation }, options);
  }
}

export class RuntimeClosedError extends WeftError {
  constructor() {
    super('RUNTIME_CLOSED', 'The runtime is closed; open a new one with Runtime.open()');
  }
}

/** A waiting call was withdrawn by its AbortSignal (callers see `signal.reason`). */
export class AbortedError extends WeftError {
  constructor(what: string) {
    super('ABORTED', `${what} was aborted`, { what });
  }
}

/**
 * A follow ended itself because its reader fell more than `bufferedLines` behind: it got the
 * lines held for it, and the ones after are not in the follow (they are in the store).
 */
export class ReaderTooSlowError extends WeftError {
  constructor(what: string, bufferedLines: number) {
    super(
      'READER_TOO_SLOW',
      `The reader fell behind by more than ${bufferedLines.toLocaleString('en')} lines; follow again`,
      { what, bufferedLines },
    );
  }
}

/** Every attempt of an activity failed, or it failed with a non-retryable error. */
export class ActivityFailure extends WeftError {
  /** The activity's own error: name, message, stack and code as thrown in the worker. */
  readonly remote: RemoteError;

  constructor(activity: string, step: number, attempt: number, remote: RemoteError) {
    super(
      'ACTIVITY_FAILED',
      `Activity ${activity} (step ${step}) failed on attempt ${attempt}: ${remote.name}: ${remote.message}`,
      { activity, step, attempt, remoteName: remote.name, remoteCode: remote.code },
      { cause: rebuildRemote(remote) },
    );
    this.remote = remote;
  }
}

export type ActivityTimeoutKind = 'startToClose' | 'scheduleToClose' | 'heartbeat';

export class ActivityTimeoutError extends WeftError {
  constructor(activity: string, step: number, kind: ActivityTimeoutKind, timeoutMs: number) {
    super('ACTIVITY_TIMEOUT', `Activity ${activity} (step ${step}) exceeded its ${kind} timeout of ${timeoutMs} ms`, {
      activity,
      step,
      kind,
      timeoutMs,
    });
  }
}

export class ActivityNotFoundError extends WeftError {
  constructor(activity: string, known: readonly string[]) {
    super(
      'ACTIVITY_NOT_FOUND',
      `No activity named ${JSON.stringify(activity)}; the activity modules export: ${known.join(', ') || '(none)'}`,
      { activity },
    );
  }
}

/** The worker thread running an activity died (an uncaught error, process.exit, out of memory). */
export class WorkerCrashedError extends WeftError {
  constructor(activity: string, reason: string) {
    super('WORKER_CRASHED', `The worker thread running ${activity} died: ${reason}`, { activity, reason });
  }
}

export class CancelledError extends WeftError {
  constructor(executionId: string, reason: string) {
    super('CANCELLED', `Execution ${executionId} was cancelled: ${reason}`, { executionId, reason });
  }
}

export class ExecutionTimeoutError extends WeftError {
  constructor(executionId: string, timeoutMs: number) {
    super('EXECUTION_TIMEOUT', `Execution ${executionId} ran longer than its timeout of ${timeoutMs} ms`, {
      executionId,
      timeoutMs,
    });
  }
}

/** Replay asked for a different step than the history holds: the workflow code changed, or is not deterministic. */
export class NonDeterminismError extends WeftError {
  constructor(executionId: string, step: number, recorded: string, requested: string) {
    super(
      'NON_DETERMINISM',
      `Execution ${executionId}, step ${step}: the history holds ${recorded} but the code asked for ${requested}. ` +
        'The workflow code changed while this execution was running, or it depends on something other than ctx ' +
        '(Date.now, Math.random, I/O): use ctx.now()/ctx.random(), or give the changed workflow a new version.',
      { executionId, step, recorded, requested },
    );
  }
}

export class WorkflowNotFoundError extends WeftError {
  constructor(workflow: string, known: readonly string[]) {
    super(
      'WORKFLOW_NOT_FOUND',
      `No workflow named ${JSON.stringify(workflow)}; known: ${known.join(', ') || '(none registered)'}`,
      { workflow },
    );
  }
}

export class ExecutionNotFoundError extends WeftError {
  constructor(executionId: string) {
    super('EXECUTION_NOT_FOUND', `No execution with id ${JSON.stringify(executionId)}`, { executionId });
  }
}

/** A signal was sent to an execution that has already ended. */
export class ExecutionEndedError extends WeftError {
  constructor(executionId: string, status: string) {
    super('EXECUTION_ENDED', `Execution ${executionId} has ended (${status}); it takes no more signals`, {
      executionId,
      status,
    });
  }
}

export class SignalTimeoutError extends WeftError {
  constructor(executionId: string, signal: string, timeoutMs: number) {
    super(
      'SIGNAL_TIMEOUT',
      `Execution ${executionId} waited ${timeoutMs} ms for signal ${JSON.stringify(signal)} and gave up`,
      {
        executionId,
        signal,
        timeoutMs,
      },
    );
  }
}

/** A workflow threw an error that has no code of its own. */
export class WorkflowError extends WeftError {
  constructor(remote: RemoteError) {
    super(
      'WORKFLOW_ERROR',
      `${remote.name}: ${remote.message}`,
      { remoteName: remote.name },
      { cause: rebuildRemote(remote) },
    );
  }
}

/** An HTTP request the daemon cannot take: bad JSON, a wrong type, a missing or unknown field. */
export class InvalidRequestError extends WeftError {
  constructor(message: string, context: ErrorContext = {}) {
    super('INVALID_REQUEST', message, context);
  }
}

export class UnauthorizedError extends WeftError {
  constructor() {
    super(
      'UNAUTHORIZED',
      'Missing or wrong bearer token: send "Authorization: Bearer <token>" with the token from WEFT_TOKEN or the daemon\'s <data folder>/token file',
    );
  }
}

export class RouteNotFoundError extends WeftError {
  constructor(method: string, url: string) {
    super('ROUTE_NOT_FOUND', `No route ${method} ${url}; the API is under /api/v1 (see /api/v1/openapi.json)`, {
      method,
      url,
    });
  }
}

export class PayloadTooLargeError extends WeftError {
  constructor(limitBytes: number) {
    super(
      'PAYLOAD_TOO_LARGE',
      `The request body is larger than ${limitBytes} bytes; send less, or raise --body-limit`,
      {
        limitBytes,
      },
    );
  }
}

/** The CLI or the client found no daemon at the URL. */
export class DaemonUnreachableError extends WeftError {
  constructor(url: string, cause: unknown) {
    super(
      'DAEMON_UNREACHABLE',
      `Cannot reach a weft daemon at ${url}: ${cause instanceof Error ? cause.message : String(cause)}. ` +
        'Start one with `weft daemon`, or point WEFT_URL / --url at it.',
      { url },
      { cause },
    );
  }
}

/** A config file that does not load or does not hold what `weft daemon` needs. */
export class ConfigError extends WeftError {
  constructor(file: string, problem: string) {
    super('CONFIG_INVALID', `Config ${file}: ${problem}`, { file });
  }
}

export class QueueElementNotFoundError extends WeftError {
  /** With `requestId`: a repeated create whose element was deleted since. */
  constructor(id: string, requestId?: string) {
    super(
      'QUEUE_ELEMENT_NOT_FOUND',
      `No queue element with id ${JSON.stringify(id)}` +
        (requestId === undefined
          ? ''
          : `: request ${JSON.stringify(requestId)} was already applied and the element it created has been deleted since`),
      requestId === undefined ? { id } : { id, requestId },
    );
  }
}

export class ConstantNotFoundError extends WeftError {
  constructor(name: string) {
    super(
      'CONSTANT_NOT_FOUND',
      `No constant named ${JSON.stringify(name)}; set it with rt.constants.set or weft constant set`,
      {
        name,
      },
    );
  }
}

export class CredentialNotFoundError extends WeftError {
  constructor(name: string) {
    super(
      'CREDENTIAL_NOT_FOUND',
      `No credential named ${JSON.stringify(name)}; set it with rt.credentials.set or weft credential set`,
      {
        name,
      },
    );
  }
}

/** The secret key does not decrypt what the store holds: it is not the key the credentials were written with. */
export class SecretKeyMismatchError extends WeftError {
  constructor(detail: string) {
    super(
      'SECRET_KEY_MISMATCH',
      `The secret key does not open the stored credentials (${detail}). Use the key they were written with ` +
        '(WEFT_SECRET_KEY or <data folder>/secret.key), or rotate from it to the new one.',
    );
  }
}

export class TriggerNotFoundError extends WeftError {
  constructor(name: string) {
    super('TRIGGER_NOT_FOUND', `No trigger named ${JSON.stringify(name)}`, { name });
  }
}

export class TriggerExistsError extends WeftError {
  constructor(name: string) {
    super('TRIGGER_EXISTS', `A trigger named ${JSON.stringify(name)} exists; delete it first or pick another name`, {
      name,
    });
  }
}

export class InvalidCronError extends WeftError {
  constructor(expression: string, reason: string) {
    super('INVALID_CRON', `${JSON.stringify(expression)} is not a cron expression: ${reason}`, { expression });
  }
}

/** Turns anything thrown into a {@link RemoteError}, keeping name, message, stack and code. */
export function toRemoteError(err: unknown): RemoteError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return {
      name: err.name,
      message: err.message,
      ...(err.stack !== undefined && { stack: err.stack }),
      ...((typeof code === 'string' || typeof code === 'number') && { code }),
    };
  }
  return { name: 'NonError', message: typeof err === 'string' ? err : safeString(err) };
}

function safeString(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function rebuildRemote(remote: RemoteError): Error {
  const err = new Error(remote.message);
  err.name = remote.name;
  if (remote.stack !== undefined) err.stack = remote.stack;
  if (remote.code !== undefined) (err as Error & { code?: unknown }).code = remote.code;
  return err;
}

/** Rebuilds a serialised error as a {@link WeftError} carrying the same code and context. */
export function errorFromJSON(json: SerializedError): WeftError {
  const c = json.context;
  if (json.code === 'ACTIVITY_FAILED' && json.cause)
    return new ActivityFailure(String(c.activity), Number(c.step), Number(c.attempt), json.cause);
  const err = new WeftError(json.code, json.message, json.context, json.cause && { cause: rebuildRemote(json.cause) });
  err.name = json.name;
  if (json.stack !== undefined) err.stack = json.stack;
  return err;
}
