/**
 * How errors leave the daemon: every failure becomes `{ error: { code, message, context? } }`
 * with the HTTP status its code maps to. 5xx bodies carry no detail (it is in the log).
 */
import { InvalidRequestError, PayloadTooLargeError, WeftError, type ErrorCode, type ErrorContext } from '../errors.js';

/** A weft error code, or INTERNAL for anything the daemon did not expect. */
export type HttpErrorCode = ErrorCode | 'INTERNAL';

export interface ErrorBody {
  error: { code: HttpErrorCode; message: string; context?: Record<string, unknown> };
}

export interface HttpError {
  status: number;
  body: ErrorBody;
}

/** What the mapping needs to know about the request and the server. */
export interface ErrorHints {
  /** Named in 5xx bodies so the log line can be found. */
  requestId?: string;
  /** Named in 413 bodies. */
  bodyLimit?: number;
}

const STATUS: Partial<Record<HttpErrorCode, number>> = {
  INVALID_REQUEST: 400,
  INVALID_ARGUMENT: 400,
  INVALID_NAME: 400,
  INVALID_VALUE: 400,
  UNAUTHORIZED: 401,
  EXECUTION_NOT_FOUND: 404,
  SETTING_NOT_FOUND: 404,
  WORKFLOW_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  QUEUE_ELEMENT_NOT_FOUND: 404,
  CONSTANT_NOT_FOUND: 404,
  CREDENTIAL_NOT_FOUND: 404,
  TRIGGER_NOT_FOUND: 404,
  INVALID_CRON: 400,
  TRIGGER_EXISTS: 409,
  SECRET_KEY_MISMATCH: 409,
  SETTING_EXISTS: 409,
  VERSION_CONFLICT: 409,
  STALE_TOKEN: 409,
  LOCK_TIMEOUT: 409,
  LOCK_ALREADY_HELD: 409,
  LOCK_ALREADY_WAITING: 409,
  NOT_LOCK_HOLDER: 409,
  LEASE_EXPIRED: 409,
  EXECUTION_ENDED: 409,
  // A follow outpaced by its writer, like the other 409s, is the state of things, not a bad
  // request nor a server fault: following again succeeds. (A stream has sent 200 already.)
  READER_TOO_SLOW: 409,
  PAYLOAD_TOO_LARGE: 413,
  RUNTIME_CLOSED: 503,
  STORE_FAILED: 503,
};

/** The HTTP status of an error code; codes the API does not expect are 500. */
export function statusOf(code: HttpErrorCode): number {
  return STATUS[code] ?? 500;
}

/** The status and body for anything a route or fastify threw. */
export function toHttpError(err: unknown, hints: ErrorHints = {}): HttpError {
  const { error, status } = classify(err, hints);
  if (error && status < 500) return { status, body: bodyOf(error) };
  if (error && status === 503) return { status, body: { error: { code: error.code, message: error.message } } };
  const ref = hints.requestId === undefined ? '' : ` (request id ${hints.requestId})`;
  return { status: 500, body: { error: { code: 'INTERNAL', message: `internal error; see the daemon's log${ref}` } } };
}

/**
 * The raw HTTP answer to a request Node's parser refused before fastify saw it (not HTTP,
 * headers too large, a bad Content-Length), in the same shape as every other error.
 */
export function clientErrorResponse(err: Error & { code?: string }): string {
  const [status, reason, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'the URL and headers are larger than the server accepts']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'the request did not arrive in time']
        : [400, 'Bad Request', 'the request is not valid HTTP/1.1'];
  const body = JSON.stringify({ error: { code: 'INVALID_REQUEST', message } } satisfies ErrorBody);
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Content-Type: application/json\r\nConnection: close\r\n\r\n${body}`
  );
}

/** `{ error: { code, message, context? } }` for anything thrown. */
export function errorBody(err: unknown, hints: ErrorHints = {}): ErrorBody {
  return toHttpError(err, hints).body;
}

function bodyOf(error: WeftError): ErrorBody {
  const context = Object.keys(error.context).length > 0 ? { ...error.context } : undefined;
  return { error: { code: error.code, message: error.message, ...(context && { context }) } };
}

/** The weft error a failure stands for, with its status; `error` is absent for the unexpected. */
function classify(err: unknown, hints: ErrorHints): { error?: WeftError; status: number } {
  if (err instanceof WeftError) return { error: err, status: statusOf(err.code) };
  if (!(err instanceof Error)) return { status: 500 };
  const fastifyError = err as FastifyLikeError;
  if (Array.isArray(fastifyError.validation)) {
    return { error: validationError(fastifyError.validation, fastifyError.validationContext), status: 400 };
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { error: new InvalidRequestError('the body is not valid JSON'), status: 400 };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { error: new InvalidRequestError('the body is empty; send a JSON document'), status: 400 };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { error: new InvalidRequestError('the body does not match its Content-Length'), status: 400 };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { error: new PayloadTooLargeError(hints.bodyLimit ?? 0), status: 413 };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        error: new InvalidRequestError('unsupported content type; send the body as application/json'),
        status: 415,
      };
    case 'FST_ERR_BAD_URL':
      return { error: new InvalidRequestError('the URL is not valid (bad percent-encoding?)'), status: 400 };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return {
        error: new InvalidRequestError('a path segment is too long; ids and names have at most 256 characters'),
        status: 414,
      };
  }
  // Our own JSON parser rejects with the SyntaxError it met. V8's text may quote the body
  // (a password, say): only the position is passed on.
  if (err instanceof SyntaxError) {
    const position = /at position (\d+)/.exec(err.message)?.[1];
    const at = position === undefined ? '' : ` (at position ${position})`;
    return { error: new InvalidRequestError(`the body is not valid JSON${at}`), status: 400 };
  }
  return { status: 500 };
}

/** What fastify adds to the errors it raises. */
interface FastifyLikeError extends Error {
  code?: string;
  validation?: AjvIssue[];
  validationContext?: string;
}

/** The parts of an Ajv error object the messages use. */
interface AjvIssue {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** A schema failure as a message that names the field: "body/ttlMs must be <= 86400000". */
function validationError(issues: AjvIssue[], part = 'request'): InvalidRequestError {
  const issue = issues[0];
  if (!issue) return new InvalidRequestError(`${part} is not valid`);
  const at = part + issue.instancePath;
  const { params } = issue;
  let field = at;
  let message: string;
  if (issue.keyword === 'additionalProperties') {
    field = `${at}/${String(params.additionalProperty)}`;
    message = `${field} is not a known field`;
  } else if (issue.keyword === 'required') {
    field = `${at}/${String(params.missingProperty)}`;
    message = `${field} is required`;
  } else if (issue.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    message = `${at} must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  } else if (issue.keyword === 'type') {
    // Ajv names a type list "array,object"; null is only ever allowed for an absent body.
    const types = String(params.type)
      .split(',')
      .filter((t) => t !== 'null');
    message = `${at} must be ${types.map((t) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`)).join(' or ')}`;
    if (at === 'body') message = `the body must be a JSON ${types.join(' or ')}`;
  } else {
    message = `${at} ${issue.message ?? 'is not valid'}`;
  }
  return new InvalidRequestError(message, { field } satisfies ErrorContext);
}
