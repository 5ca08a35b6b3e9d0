/**
 * The key that encrypts credentials' passwords, where it comes from, and the cipher:
 * AES-256-GCM with a fresh 12-byte IV per encryption and the credential's name as
 * additional data. Every ciphertext names its key by fingerprint, so a wrong key is
 * reported as such (cheaply) instead of being tried; the GCM tag catches the rest.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { InvalidArgumentError, SecretKeyMismatchError } from './errors.js';
import type { ResolvedOptions } from './options.js';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const VERSION = 'v1';
/** 32 bytes in standard base64: 43 characters and one `=` (which may be left off). */
const BASE64_KEY = /^[A-Za-z0-9+/]{43}=?$/;
export const KEY_FILE = 'secret.key';
export const PREVIOUS_KEY_FILE = 'secret.key.previous';

/** A key and its fingerprint: the first 8 bytes of its SHA-256, in hex; safe to log and store. */
export interface SecretKey {
  readonly bytes: Buffer;
  readonly fingerprint: string;
}

/** Where the key came from: it decides who must keep the new key after a rotation. */
export type KeySource = 'option' | 'env' | 'file' | 'memory';

export interface LoadedKey {
  key: SecretKey;
  source: KeySource;
  /** The key file, when the key came from one. */
  file?: KeyFile;
}

/** Parses a key given as text; `what` names where it came from, never its value. */
export function parseSecretKey(text: unknown, what: string, hint = ''): SecretKey {
  const trimmed = typeof text === 'string' ? text.trim() : '';
  if (!BASE64_KEY.test(trimmed))
    throw new InvalidArgumentError(what, 'it must be 32 bytes in base64 (e.g. from `openssl rand -base64 32`)' + hint);
  return keyOf(Buffer.from(trimmed, 'base64'));
}

/** 32 random bytes in base64: a new key. */
export function generateSecretKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

export function keyText(key: SecretKey): string {
  return key.bytes.toString('base64');
}

function keyOf(bytes: Buffer): SecretKey {
  return { bytes, fingerprint: createHash('sha256').update(bytes).digest().subarray(0, 8).toString('hex') };
}

/**
 * The key of this runtime: `options.secretKey`, else WEFT_SECRET_KEY, else (in memory) a
 * random key for the runtime's life, else `<dataDir>/secret.key`, created on first use.
 */
export async function loadSecretKey(
  options: ResolvedOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedKey> {
  if (options.secretKey !== undefined) return { key: parseSecretKey(options.secretKey, 'secretKey'), source: 'option' };
  const fromEnv = env.WEFT_SECRET_KEY;
  if (fromEnv !== undefined && fromEnv !== '')
    return { key: parseSecretKey(fromEnv, 'WEFT_SECRET_KEY'), source: 'env' };
  if (options.inMemory) return { key: keyOf(randomBytes(KEY_BYTES)), source: 'memory' };
  const file = new KeyFile(join(resolve(options.dataDir), KEY_FILE));
  return { key: (await file.read()) ?? (await file.create()), source: 'file', file };
}

/**
 * `<dataDir>/secret.key` (base64, mode 0600) and, while a rotation is under way,
 * `secret.key.previous` with the key it replaces. Every change is atomic (a temporary file
 * renamed into place) and synced, with the folder, before it is relied on.
 */
export class KeyFile {
  readonly path: string;
  readonly previousPath: string;

  constructor(path: string) {
    this.path = path;
    this.previousPath = join(dirname(path), PREVIOUS_KEY_FILE);
  }

  read(): Promise<SecretKey | undefined> {
    return readKey(
      this.path,
      '. If it is empty or cut short and no credentials were stored with it, delete it (the next open ' +
        'creates a new key file); else write their key into it',
    );
  }

  readPrevious(): Promise<SecretKey | undefined> {
    return readKey(this.previousPath);
  }

  /** Creates the key file with a new random key; if another process won the race, reads its key. */
  async create(): Promise<SecretKey> {
    const key = keyOf(randomBytes(KEY_BYTES));
    // Written whole and synced under a name of its own, then linked into place: a crash leaves
    // at most a stray temporary file, never a key file without its key. Unlike rename, link
    // fails with EEXIST when another process created the key file first.
    const temporary = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeSynced(temporary, key, 'wx');
      await link(temporary, this.path).catch((err: NodeJS.ErrnoException) => {
        // A file system without hard links: create it in place, as the only way left.
        if (err.code === 'EPERM' || err.code === 'ENOTSUP' || err.code === 'ENOSYS')
          return writeSynced(this.path, key, 'wx');
        throw err;
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return (await this.read()) as SecretKey;
    } finally {
      await rm(temporary, { force: true });
    }
    await syncFolder(this.path);
    return key;
  }

  /** Replaces the key file's key. */
  replace(key: SecretKey): Promise<void> {
    return writeAtomic(this.path, key);
  }

  /** Keeps `key` in `secret.key.previous` until the rotation away from it is committed. */
  keepPrevious(key: SecretKey): Promise<void> {
    return writeAtomic(this.previousPath, key);
  }

  /** Puts the previous key back as the key (a rotation that did not commit). */
  async restorePrevious(): Promise<void> {
    await rename(this.previousPath, this.path);
    await syncFolder(this.path);
  }

  async dropPrevious(): Promise<void> {
    await rm(this.previousPath, { force: true });
    await syncFolder(this.path);
  }

  /** Whether others than the owner may read the key file (worth a warning). */
  async isShared(): Promise<boolean> {
    return ((await stat(this.path)).mode & 0o077) !== 0;
  }
}

/** `hint` says what to do about a file that holds no key. */
async function readKey(path: string, hint = ''): Promise<SecretKey | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parseSecretKey(text, `secret key file ${path}`, hint);
}

async function writeAtomic(path: string, key: SecretKey): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await rm(temporary, { force: true });
  await writeSynced(temporary, key, 'wx');
  await rename(temporary, path);
  await syncFolder(path);
}

async function writeSynced(path: string, key: SecretKey, flags: string): Promise<void> {
  const handle = await open(path, flags, 0o600);
  try {
    await handle.writeFile(keyText(key) + '\n');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A rename or a new file is durable once its folder is synced (not possible everywhere; best effort). */
async function syncFolder(path: string): Promise<void> {
  try {
    const handle = await open(dirname(path), fsConstants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows cannot open a folder for syncing; its renames are durable enough for this.
  }
}

// ---- the cipher ------------------------------------------------------------------------

/** Encrypts `plaintext` as `v1:<fingerprint>:<iv>:<tag>:<ciphertext>`, bound to `aad` (the credential's name). */
export function seal(key: SecretKey, plaintext: string, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.bytes, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const parts = [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64'));
  return [VERSION, key.fingerprint, ...parts].join(':');
}

/** The fingerprint of the key a sealed value was encrypted with; undefined if it is not one. */
export function sealedWith(sealed: string): string | undefined {
  const parts = sealed.split(':');
  return parts.length === 5 && parts[0] === VERSION ? parts[1] : undefined;
}

/**
 * Decrypts what {@link seal} made. Fails with SECRET_KEY_MISMATCH (never with garbage) when
 * the value is not one, or the key or the name is not the one it was sealed with.
 */
export function unseal(key: SecretKey, sealed: string, aad: string, what: string): string {
  const parts = sealed.split(':');
  if (parts.length !== 5 || parts[0] !== VERSION) throw new SecretKeyMismatchError(`${what} is not a sealed value`);
  const [, , iv, tag, ciphertext] = parts.map((p, i) => (i < 2 ? Buffer.alloc(0) : Buffer.from(p, 'base64')));
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, iv as Buffer, { authTagLength: 16 });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag as Buffer);
    return Buffer.concat([decipher.update(ciphertext as Buffer), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretKeyMismatchError(
      `${what} does not decrypt under key ${key.fingerprint}: it was written with another key, ` +
        'under another name, or altered',
    );
  }
}
