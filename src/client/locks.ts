import { pathPart, type Requester } from './http.js';
import type { LockGrantView, LockView } from './views.js';

/** `/api/v1/locks`: locks held from outside workflows, as leases. */
export class LocksClient {
  readonly #http: Requester;

  constructor(http: Requester) {
    this.#http = http;
  }

  async list(): Promise<LockView[]> {
    return (await this.#http.json<{ items: LockView[] }>('/api/v1/locks')).items;
  }

  /** Waits up to `timeoutMs` (default 0: try once); aborting `signal` withdraws the wait. */
  acquire(
    name: string,
    options: { holder?: string; ttlMs?: number; timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<LockGrantView> {
    const { signal, ...body } = options;
    return this.#http.json(`/api/v1/locks/${pathPart(name)}/acquire`, {
      method: 'POST',
      body,
      ...(signal && { signal }),
    });
  }

  renew(name: string, token: number): Promise<LockGrantView> {
    return this.#http.json(`/api/v1/locks/${pathPart(name)}/renew`, { method: 'POST', body: { token } });
  }

  async release(name: string, token: number): Promise<void> {
    await this.#http.json(`/api/v1/locks/${pathPart(name)}/release`, { method: 'POST', body: { token } });
  }
}
