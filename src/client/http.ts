/** The HTTP side of the client: one request with the token, the daemon's errors as WeftErrors, event streams. */
import { DaemonUnreachableError, WeftError } from '../errors.js';
import type { ErrorView } from './views.js';

type Query = Record<string, string | number | undefined>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

/** Sends requests to one daemon; each part of the client (executions, settings, queues, …) shares one. */
export class Requester {
  readonly url: string;
  readonly #token: string;

  constructor(url: string, token: string) {
    this.url = url.replace(/\/+$/, '');
    this.#token = token;
  }

  async json<T>(path: string, request: RequestOptions = {}): Promise<T> {
    return (await readJson(await this.request(path, request), this.url)) as T;
  }

  async text(path: string, request: RequestOptions = {}): Promise<string> {
    return readText(await this.request(path, request), this.url);
  }

  /** Sends one request; answers the response if it is 2xx, else throws the daemon's error. */
  async request(path: string, request: RequestOptions = {}): Promise<Response> {
    const url = new URL(this.url + path);
    for (const [key, value] of Object.entries(request.query ?? {}))
      if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}` };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, {
        method: request.method ?? 'GET',
        headers,
        ...(request.body !== undefined && { body: JSON.stringify(request.body) }),
        ...(request.signal && { signal: request.signal }),
      });
    } catch (err) {
      if (request.signal?.aborted) throw request.signal.reason;
      // fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND…) is its cause.
      const cause = (err as Error).cause ?? err;
      if (cause instanceof Error && cause.message === 'bad port')
        throw new DaemonUnreachableError(this.url, new Error(`fetch refuses port ${url.port} (a blocked port)`));
      throw new DaemonUnreachableError(this.url, cause);
    }
    if (!res.ok) throw await errorOf(res, this.url);
    return res;
  }
}

/** `segment` made safe for a path: ids and names may hold `/`. */
export function pathPart(segment: string): string {
  return encodeURIComponent(segment);
}

export async function readText(res: Response, url: string): Promise<string> {
  try {
    return await res.text();
  } catch (err) {
    throw new DaemonUnreachableError(url, err);
  }
}

export async function readJson(res: Response, url: string): Promise<unknown> {
  const text = await readText(res, url);
  try {
    return JSON.parse(text);
  } catch {
    throw new WeftError('INTERNAL', `The daemon at ${url} answered ${res.status} with a body that is not JSON`, {
      status: res.status,
    });
  }
}

/** The daemon's `{ error: { code, message, context } }` as a WeftError with the same code. */
async function errorOf(res: Response, url: string): Promise<WeftError> {
  const text = await readText(res, url);
  // Not a weft error body (a proxy in between?): described from the status. INTERNAL is
  // the daemon's own code for anything without one (see http-errors.ts).
  return (
    weftErrorOf(text) ??
    new WeftError('INTERNAL', `HTTP ${res.status} from ${url}: ${text.slice(0, 200)}`, { status: res.status })
  );
}

/** The WeftError the data of a stream's `event: error` carries. */
export function eventError(data: string): WeftError {
  return weftErrorOf(data) ?? new WeftError('INTERNAL', `The daemon ended a stream with: ${data.slice(0, 200)}`);
}

/** `{ error: { code, message, context? } }` as a WeftError with the same code; undefined for other text. */
function weftErrorOf(text: string): WeftError | undefined {
  try {
    const { error } = JSON.parse(text) as { error?: Partial<ErrorView> };
    if (error && typeof error.code === 'string' && typeof error.message === 'string')
      return new WeftError(error.code, error.message, error.context ?? {});
  } catch {
    // Not JSON.
  }
  return undefined;
}

interface ServerSentEvent {
  event: string;
  data: string;
}

/** Parses a `text/event-stream` body into its events (fields `event` and `data`; comments skipped). */
export async function* serverSentEvents(body: AsyncIterable<Uint8Array>): AsyncIterable<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    // A CR at the end of a chunk may be the first half of a CRLF: it waits for the next chunk.
    buffer = (buffer + decoder.decode(chunk, { stream: true })).replace(/\r\n|\r(?=[^\n])/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = parseEvent(block);
      if (event) yield event;
    }
  }
}

function parseEvent(block: string): ServerSentEvent | undefined {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length > 0 || event !== 'message' ? { event, data: data.join('\n') } : undefined;
}
