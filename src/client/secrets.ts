/** `/api/v1/constants` and `/api/v1/credentials`: `client.secrets.constants` and `client.secrets.credentials`. */
import { WeftError } from '../errors.js';
import { pathPart, type Requester } from './http.js';

/** A constant as the API answers it. */
export interface ConstantView {
  name: string;
  value: string;
  updatedAt: string;
}

export interface ConstantPageView {
  items: ConstantView[];
  cursor?: string;
}

/** A credential as listed and as `set` answers it: never with its password. */
export interface CredentialView {
  name: string;
  username: string;
  updatedAt: string;
}

/** A credential as `get` answers it: the explicit read, with the password. */
export interface CredentialSecretView extends CredentialView {
  password: string;
}

export interface RotateKeyView {
  rotated: number;
  /** The daemon's key file, now holding the new key; absent when its key comes from WEFT_SECRET_KEY, which must be changed. */
  keyFile?: string;
}

/** Named strings. */
export class ConstantsClient {
  readonly #http: Requester;

  constructor(http: Requester) {
    this.#http = http;
  }

  get(name: string): Promise<ConstantView> {
    return this.#http.json(`/api/v1/constants/${pathPart(name)}`);
  }

  set(name: string, value: string): Promise<ConstantView> {
    return this.#http.json(`/api/v1/constants/${pathPart(name)}`, { method: 'PUT', body: { value } });
  }

  list(options: { prefix?: string; limit?: number; cursor?: string } = {}): Promise<ConstantPageView> {
    return this.#http.json('/api/v1/constants', { query: options });
  }

  /** Deletes the constant; answers whether there was one. */
  delete(name: string): Promise<boolean> {
    return deleted(this.#http, `/api/v1/constants/${pathPart(name)}`, 'CONSTANT_NOT_FOUND');
  }
}

/** Usernames and passwords; only `get` answers a password. */
export class CredentialsClient {
  readonly #http: Requester;

  constructor(http: Requester) {
    this.#http = http;
  }

  get(name: string): Promise<CredentialSecretView> {
    return this.#http.json(`/api/v1/credentials/${pathPart(name)}`);
  }

  set(name: string, credential: { username: string; password: string }): Promise<CredentialView> {
    const { username, password } = credential;
    return this.#http.json(`/api/v1/credentials/${pathPart(name)}`, { method: 'PUT', body: { username, password } });
  }

  async list(): Promise<CredentialView[]> {
    return (await this.#http.json<{ items: CredentialView[] }>('/api/v1/credentials')).items;
  }

  /** Deletes the credential; answers whether there was one. */
  delete(name: string): Promise<boolean> {
    return deleted(this.#http, `/api/v1/credentials/${pathPart(name)}`, 'CREDENTIAL_NOT_FOUND');
  }

  /** Re-encrypts every credential under `key` (32 bytes in base64); see `Credentials.rotateKey`. */
  rotateKey(key: string): Promise<RotateKeyView> {
    return this.#http.json('/api/v1/credentials/rotate-key', { method: 'POST', body: { key } });
  }
}

/** Constants and credentials of a daemon. */
export class SecretsClient {
  readonly constants: ConstantsClient;
  readonly credentials: CredentialsClient;

  constructor(http: Requester) {
    this.constants = new ConstantsClient(http);
    this.credentials = new CredentialsClient(http);
  }
}

async function deleted(http: Requester, path: string, notFound: string): Promise<boolean> {
  try {
    await http.json(path, { method: 'DELETE' });
    return true;
  } catch (err) {
    if (err instanceof WeftError && err.code === notFound) return false;
    throw err;
  }
}
