import { pino, type Logger } from 'pino';

/**
 * Fields pino censors in every weft logger: a credential's password or a bearer token must
 * never reach a log, whoever logs the object that holds it.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'secretKey',
  '*.secretKey',
];

/** weft's default logger: pino JSON on stderr at LOG_LEVEL (or `level`), with secrets redacted. */
export function defaultLogger(level = 'info'): Logger {
  return pino(
    { level: process.env.LOG_LEVEL?.toLowerCase() ?? level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    pino.destination(2),
  );
}
