/**
 * `rt.credentials`: a username and a password per name, the password sealed with the
 * secret key (see secret-key.ts). The store's `meta` record `secret-key` holds the
 * fingerprint of the key the credentials are sealed with, so a wrong key is named at open
 * and a rotation cut short by a crash is finished the safe way on the next open.
 */
import type { Logger } from 'pino';
import { Constants } from './constants.js';
import { CredentialNotFoundError, InvalidArgumentError, SecretKeyMismatchError } from './errors.js';
import { assertName } from './names.js';
import {
  KEY_FILE,
  loadSecretKey,
  parseSecretKey,
  seal,
  sealedWith,
  unseal,
  type KeyFile,
  type KeySource,
  type LoadedKey,
  type SecretKey,
} from './secret-key.js';
import type { ServiceContext } from './services.js';
import type { WriteOp } from './store/store.js';

export type { Constants };

const META_KEY = 'secret-key';
const MAX_USERNAME = 1024;
const MAX_PASSWORD = 16_384;

/** A credential as listed: never with its password. */
export interface CredentialInfo {
  name: string;
  username: string;
  updatedAt: Date;
}

/** A credential as read by {@link Credentials.get}, the one call that answers the password. */
export interface Credential extends CredentialInfo {
  password: string;
}

export interface RotateKeyResult {
  /** Credentials re-encrypted. */
  rotated: number;
  /** The key file the new key was written to; absent when the key came from WEFT_SECRET_KEY or the option. */
  keyFile?: string;
}

/** How a credential is stored under its name. */
interface StoredCredential {
  username: string;
  /** The password, sealed (`v1:<key fingerprint>:<iv>:<tag>:<ciphertext>`) with the name as AAD. */
  secret: string;
  updatedAt: number;
}

/**
 * Usernames and passwords. Passwords are encrypted at rest with AES-256-GCM and leave the
 * runtime only through {@link get}. The key is `secretKey`, WEFT_SECRET_KEY or
 * `<dataDir>/secret.key`; with another key than the credentials were written with, reads
 * fail with SECRET_KEY_MISMATCH.
 *
 * @example
 * await rt.credentials.set('crm', { username: 'robot', password });
 * const { username, password } = await rt.credentials.get('crm');
 */
export class Credentials {
  readonly #ctx: ServiceContext;
  readonly #source: KeySource;
  readonly #file: KeyFile | undefined;
  #key: SecretKey;
  /** Every key this runtime can decrypt with, by fingerprint: the current one, and one a rotation replaced. */
  readonly #keys = new Map<string, SecretKey>();
  /** The fingerprint in `meta`: the key the stored credentials are sealed with. */
  #storedWith: string | undefined;
  /** Writes run one at a time, so that a rotation sees every credential and misses none. */
  #tail: Promise<void> = Promise.resolve();

  /** @internal */
  constructor(ctx: ServiceContext, loaded: LoadedKey, storedWith: string | undefined, extraKeys: SecretKey[] = []) {
    this.#ctx = ctx;
    this.#source = loaded.source;
    this.#file = loaded.file;
    this.#key = loaded.key;
    this.#storedWith = storedWith;
    for (const key of [loaded.key, ...extraKeys]) this.#keys.set(key.fingerprint, key);
  }

  /** Creates the credential or replaces it. Answers it without the password. */
  async set(name: string, credential: { username: string; password: string }): Promise<CredentialInfo> {
    assertName('credential name', name);
    if (typeof credential !== 'object' || credential === null)
      throw new InvalidArgumentError('credential', 'pass { username, password }');
    const { username, password } = credential;
    if (typeof username !== 'string' || username.length > MAX_USERNAME)
      throw new InvalidArgumentError('username', `it must be a string of at most ${MAX_USERNAME} characters`);
    if (typeof password !== 'string' || password.length > MAX_PASSWORD)
      throw new InvalidArgumentError('password', `it must be a string of at most ${MAX_PASSWORD} characters`);
    return this.#exclusive(async () => {
      const key = this.#key;
      if (this.#storedWith !== undefined && this.#storedWith !== key.fingerprint && (await this.#othersExist(name)))
        throw new SecretKeyMismatchError(
          `the stored credentials were written with key ${this.#storedWith}, and ${this.#describeKey()} is ` +
            `${key.fingerprint}; a credential written now could not be read with the others`,
        );
      const updatedAt = this.#ctx.clock.now();
      const stored: StoredCredential = { username, secret: seal(key, password, name), updatedAt };
      await this.#commit([
        { type: 'put', kind: 'credentials', key: name, value: JSON.stringify(stored) },
        { type: 'put', kind: 'meta', key: META_KEY, value: key.fingerprint },
      ]);
      this.#storedWith = key.fingerprint;
      return { name, username, updatedAt: new Date(updatedAt) };
    });
  }

  /** The credential with its password: the explicit read. CREDENTIAL_NOT_FOUND, or SECRET_KEY_MISMATCH with a wrong key. */
  async get(name: string): Promise<Credential> {
    assertName('credential name', name);
    const stored = await this.#read(name);
    if (!stored) throw new CredentialNotFoundError(name);
    return {
      name,
      username: stored.username,
      password: this.#unseal(name, stored),
      updatedAt: new Date(stored.updatedAt),
    };
  }

  /** Every credential in name order, without passwords. */
  async list(): Promise<CredentialInfo[]> {
    await this.#ctx.journal.applied();
    const entries = await this.#ctx.journal.store.range('credentials');
    return entries.map(([name, raw]) => {
      const { username, updatedAt } = JSON.parse(raw) as StoredCredential;
      return { name, username, updatedAt: new Date(updatedAt) };
    });
  }

  /** Deletes the credential; answers whether there was one. */
  async delete(name: string): Promise<boolean> {
    assertName('credential name', name);
    return this.#exclusive(async () => {
      if (!(await this.#read(name))) return false;
      await this.#commit([{ type: 'del', kind: 'credentials', key: name }]);
      return true;
    });
  }

  /**
   * Re-encrypts every credential under `newKey` (32 bytes in base64) in one atomic journal
   * batch. Nothing changes unless every credential decrypts under the current key.
   *
   * With a key file, the new key is written to it (atomically, the old one kept in
   * `secret.key.previous` until the batch commits, so a crash in between loses neither) and
   * `keyFile` names it. With a key from WEFT_SECRET_KEY or the `secretKey` option there is no
   * file to write: this runtime goes on with the new key, but **the caller must set
   * WEFT_SECRET_KEY (or the option) to the new key** before the next open, or reads fail
   * with SECRET_KEY_MISMATCH.
   */
  async rotateKey(newKey: string): Promise<RotateKeyResult> {
    const next = parseSecretKey(newKey, 'key');
    return this.#exclusive(async () => {
      await this.#ctx.journal.applied();
      const entries = await this.#ctx.journal.store.range('credentials');
      const ops: WriteOp[] = entries.map(([name, raw]) => {
        const stored = JSON.parse(raw) as StoredCredential;
        const resealed: StoredCredential = { ...stored, secret: seal(next, this.#unseal(name, stored), name) };
        return { type: 'put', kind: 'credentials', key: name, value: JSON.stringify(resealed) };
      });
      ops.push({ type: 'put', kind: 'meta', key: META_KEY, value: next.fingerprint });
      const file = this.#file;
      const previous = this.#key;
      if (file) {
        await file.keepPrevious(previous);
        await file.replace(next);
      }
      this.#keys.set(next.fingerprint, next);
      this.#key = next;
      try {
        await this.#commit(ops);
      } catch (err) {
        // Both key files stay: the next open keeps whichever key the store turns out to hold.
        this.#key = previous;
        throw err;
      }
      this.#storedWith = next.fingerprint;
      if (file) await file.dropPrevious().catch((err: unknown) => this.#logger.warn({ err }, 'secret.key.previous'));
      this.#logger.info(
        { rotated: entries.length, keyFingerprint: next.fingerprint, source: this.#source },
        'credentials re-encrypted under a new secret key',
      );
      return { rotated: entries.length, ...(file && { keyFile: file.path }) };
    });
  }

  get #logger(): Logger {
    return this.#ctx.logger;
  }

  #unseal(name: string, stored: StoredCredential): string {
    const what = `credential ${JSON.stringify(name)}`;
    const fingerprint = sealedWith(stored.secret);
    const key = fingerprint === undefined ? this.#key : this.#keys.get(fingerprint);
    if (!key)
      throw new SecretKeyMismatchError(
        `${what} was written with key ${fingerprint}, and ${this.#describeKey()} is ${this.#key.fingerprint}`,
      );
    return unseal(key, stored.secret, name, what);
  }

  #describeKey(): string {
    return describeKey(this.#source);
  }

  async #read(name: string): Promise<StoredCredential | undefined> {
    await this.#ctx.journal.applied();
    const raw = await this.#ctx.journal.store.get('credentials', name);
    return raw === undefined ? undefined : (JSON.parse(raw) as StoredCredential);
  }

  async #othersExist(name: string): Promise<boolean> {
    await this.#ctx.journal.applied();
    const some = await this.#ctx.journal.store.range('credentials', { limit: 2 });
    return some.some(([other]) => other !== name);
  }

  async #commit(ops: WriteOp[]): Promise<void> {
    const journal = this.#ctx.journal;
    await journal.committed(journal.write(ops));
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn);
    this.#tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}

/**
 * "the key in secret.key", for messages: where the key came from, never the key, nor the
 * folder (errors reach HTTP clients; logs name the file in their context).
 */
function describeKey(source: KeySource): string {
  switch (source) {
    case 'option':
      return 'the key from the secretKey option';
    case 'env':
      return 'the key from WEFT_SECRET_KEY';
    case 'memory':
      return "this in-memory runtime's random key";
    case 'file':
      return `the key in ${KEY_FILE}`;
  }
}

/**
 * Loads the secret key and opens constants and credentials. A rotation a crash cut short
 * is settled here: if the store still holds the credentials sealed with the key in
 * `secret.key.previous`, that key goes back into `secret.key`; if it holds the new key's,
 * the previous key file is removed.
 */
export async function openSecrets(ctx: ServiceContext): Promise<{ constants: Constants; credentials: Credentials }> {
  const loaded = await loadSecretKey(ctx.options);
  await ctx.journal.applied();
  const storedWith = await ctx.journal.store.get('meta', META_KEY);
  const extraKeys: SecretKey[] = [];
  const { file } = loaded;
  if (file) {
    const previous = await file.readPrevious();
    if (previous && storedWith === previous.fingerprint && storedWith !== loaded.key.fingerprint) {
      await file.restorePrevious();
      loaded.key = previous;
      ctx.logger.warn(
        { keyFile: file.path, keyFingerprint: previous.fingerprint },
        'a secret key rotation did not finish: the credentials are still sealed with the previous key, now back in the key file',
      );
    } else if (previous && (storedWith === undefined || storedWith === loaded.key.fingerprint)) {
      await file.dropPrevious();
    } else if (previous) {
      extraKeys.push(previous);
    }
    if (await file.isShared())
      ctx.logger.warn({ keyFile: file.path }, 'the secret key file is readable by others; chmod 600 it');
  }
  const credentials = new Credentials(ctx, loaded, storedWith, extraKeys);
  if (
    storedWith !== undefined &&
    storedWith !== loaded.key.fingerprint &&
    !extraKeys.some((k) => k.fingerprint === storedWith)
  )
    ctx.logger.warn(
      {
        storedFingerprint: storedWith,
        keyFingerprint: loaded.key.fingerprint,
        source: loaded.source,
        ...(file && { keyFile: file.path }),
      },
      `the credentials were written with another secret key than ${describeKey(loaded.source)}: ` +
        'reading them fails with SECRET_KEY_MISMATCH until the right key is given',
    );
  return { constants: new Constants(ctx), credentials };
}
