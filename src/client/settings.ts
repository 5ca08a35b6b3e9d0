import { pathPart, type Requester } from './http.js';
import type { SettingKeyKind, SettingPageView, SettingView } from './views.js';

/** `/api/v1/settings`: a key is an id, or a name with `{ by: 'name' }` (as Cloudomation's API). */
export class SettingsClient {
  readonly #http: Requester;

  constructor(http: Requester) {
    this.#http = http;
  }

  create(name: string, value: unknown, options: { updatedBy?: string } = {}): Promise<SettingView> {
    return this.#http.json('/api/v1/settings', { method: 'POST', body: { name, value, ...options } });
  }

  get(key: string, options: { by?: SettingKeyKind } = {}): Promise<SettingView> {
    return this.#http.json(`/api/v1/settings/${pathPart(key)}`, { query: { by: options.by } });
  }

  update(
    key: string,
    value: unknown,
    options: { by?: SettingKeyKind; expectedVersion?: number; updatedBy?: string } = {},
  ): Promise<SettingView> {
    const { by, ...rest } = options;
    return this.#http.json(`/api/v1/settings/${pathPart(key)}`, {
      method: 'PATCH',
      query: { by },
      body: { value, ...rest },
    });
  }

  async delete(key: string, options: { by?: SettingKeyKind } = {}): Promise<void> {
    await this.#http.json(`/api/v1/settings/${pathPart(key)}`, { method: 'DELETE', query: { by: options.by } });
  }

  list(options: { prefix?: string; limit?: number; cursor?: string } = {}): Promise<SettingPageView> {
    return this.#http.json('/api/v1/settings', { query: options });
  }
}
