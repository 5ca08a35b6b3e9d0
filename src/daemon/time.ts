/** Times in query strings. */
import { InvalidRequestError } from '../errors.js';

/** `querystring/<name>` as epoch ms: given as digits (epoch ms) or an ISO time. */
export function parseTime(name: string, text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms))
    throw new InvalidRequestError(`querystring/${name} must be an ISO time or epoch milliseconds`, {
      field: `querystring/${name}`,
    });
  return ms;
}
