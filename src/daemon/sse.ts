/**
 * What the routes that hold a request open share: a signal for while the client is there,
 * and server-sent event streams that wait for a slow client instead of buffering for it.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { WeftError } from '../errors.js';
import { errorBody, type ErrorBody } from './http-errors.js';

/** Keeps proxies and idle timeouts from closing a quiet stream. */
export const HEARTBEAT_MS = 15_000;

export interface Connected {
  signal: AbortSignal;
  dispose: () => void;
}

/**
 * A signal that aborts when the client goes away before its answer was sent (so a wait is
 * withdrawn instead of answered to nobody), or when the server closes.
 */
export function whileConnected(reply: FastifyReply, closing: AbortSignal): Connected {
  const controller = new AbortController();
  const res = reply.raw;
  const onClose = (): void => {
    if (!res.writableFinished) controller.abort();
  };
  const onClosing = (): void => controller.abort();
  res.on('close', onClose);
  closing.addEventListener('abort', onClosing);
  if (closing.aborted) controller.abort();
  return {
    signal: controller.signal,
    dispose: () => {
      res.off('close', onClose);
      closing.removeEventListener('abort', onClosing);
    },
  };
}

export type SendEvent = (event: string, data: unknown) => Promise<void>;

/**
 * Answers with a server-sent event stream that `produce` writes to, then ends it (and
 * disposes `connected`). What `produce` throws becomes `event: error` with the error body,
 * unless the client went away or the server is closing.
 */
export async function serveEvents(
  reply: FastifyReply,
  connected: Connected,
  produce: (send: SendEvent) => Promise<void>,
): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  // A stream is long: its connection is not worth keeping, and closing it lets the server stop.
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'close',
  });
  res.flushHeaders();
  const heartbeat = setInterval(() => {
    // A client that is not reading needs no keep-alive, and should not have one queued for it.
    if (!res.writableNeedDrain) res.write(': keep-alive\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();
  const send: SendEvent = (event, data) => sendEvent(res, event, data, connected.signal);
  try {
    await produce(send);
  } catch (err) {
    if (!connected.signal.aborted && !res.destroyed) {
      const body = streamErrorBody(err, String(reply.request.id));
      if (body.error.code === 'READER_TOO_SLOW')
        reply.log.warn({ err }, 'an event stream ended: its client fell behind');
      else reply.log.error({ err }, 'an event stream failed');
      await send('error', body).catch(() => undefined);
    }
  } finally {
    clearInterval(heartbeat);
    connected.dispose();
    // A client that stopped reading would hold the server's close() until its socket times out.
    if (connected.signal.aborted && res.writableNeedDrain) res.destroy();
    else res.end();
  }
}

/**
 * Writes one event; when the client reads slower than events come, resolves once it has
 * caught up (`drain`), so what waits is the producer, not a growing buffer. Rejects when
 * `signal` aborts first (the client went away, the server is closing).
 */
export async function sendEvent(res: Writable, event: string, data: unknown, signal: AbortSignal): Promise<void> {
  // JSON.stringify escapes newlines, so the data is one line.
  if (res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)) return;
  await once(res, 'drain', { signal });
}

/**
 * The body of `event: error`. READER_TOO_SLOW is a follow the runtime ended itself (its reader
 * fell behind): a message for the client to act on, not an internal failure to hide.
 */
function streamErrorBody(err: unknown, requestId: string): ErrorBody {
  if (err instanceof WeftError && err.code === 'READER_TOO_SLOW')
    return { error: { code: err.code, message: err.message, context: { ...err.context } } };
  return errorBody(err, { requestId });
}
