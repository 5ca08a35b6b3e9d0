/**
 * rt.credentials: set, get (the one read with the password), list, delete, every error; the
 * key (option, WEFT_SECRET_KEY, key file created mode 0600, in-memory); restart; the name as
 * AAD; a wrong key (by fingerprint and by GCM tag) failing with SECRET_KEY_MISMATCH; key
 * rotation in one batch, from a key file and from the environment; and the crash windows
 * of a rotation, rebuilt as a crash would leave them.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openSecrets } from '../../src/credentials.js';
import { ManualClock, Runtime, type WeftError } from '../../src/index.js';
import { resolveOptions } from '../../src/options.js';
import { generateSecretKey, KeyFile, parseSecretKey } from '../../src/secret-key.js';
import type { ServiceContext } from '../../src/services.js';
import { Journal } from '../../src/store/journal.js';
import { openLevelStore } from '../../src/store/level-store.js';
import type { WriteOp } from '../../src/store/store.js';
import { codeOf, failure } from '../support/weft-error.js';

const logger = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 0, 1);
const dirs: string[] = [];
const closers: Array<() => Promise<void>> = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-credentials-'));
  dirs.push(dir);
  return dir;
}

function password(): string {
  return 'pw-' + randomBytes(24).toString('hex');
}

interface OpenOptions {
  dataDir?: string;
  inMemory?: boolean;
  secretKey?: string;
  clock?: ManualClock;
}

async function open(options: OpenOptions = {}) {
  const clock = options.clock ?? new ManualClock(T0);
  const dir = options.dataDir ?? tempDir();
  const rt = await Runtime.open({
    dataDir: dir,
    inMemory: options.inMemory ?? false,
    clock,
    logger,
    ...(options.secretKey !== undefined && { secretKey: options.secretKey }),
  });
  closers.push(() => rt.close());
  return { rt, clock, dir };
}

/** Constants and credentials over a bare journal on `dir`, so a test can see and change the stored records. */
async function openBare(dir: string, secretKey?: string) {
  const journal = await Journal.open(await openLevelStore(dir), 'fsync');
  const clock = new ManualClock(T0);
  const options = resolveOptions({ dataDir: dir, clock, logger, ...(secretKey !== undefined && { secretKey }) });
  const ctx: ServiceContext = { journal, registry: undefined as never, clock, logger, options };
  const secrets = await openSecrets(ctx);
  let closed = false;
  const close = async (): Promise<void> => {
    if (!closed) await journal.close();
    closed = true;
  };
  closers.push(close);
  return { ...secrets, journal, close };
}

/** The stored records of one kind, once everything committed is applied. */
async function stored(journal: Journal, kind: 'credentials' | 'meta'): Promise<Map<string, string>> {
  await journal.applied();
  return new Map(await journal.store.range(kind));
}

async function write(journal: Journal, ops: WriteOp[]): Promise<void> {
  await journal.committed(journal.write(ops));
}

function keyFileOf(dir: string): KeyFile {
  return new KeyFile(path.join(dir, 'secret.key'));
}

beforeEach(() => {
  // The key must come from where each test says, not from the shell running the tests.
  vi.stubEnv('WEFT_SECRET_KEY', '');
});

afterEach(async () => {
  vi.unstubAllEnvs();
  for (const close of closers.splice(0).reverse()) await close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('set, get, list, delete', () => {
  it('sets a credential, answering it without the password, and reads it back with it', async () => {
    const { rt, clock } = await open();
    const secret = password();
    const set = await rt.credentials.set('crm/robot', { username: 'robot', password: secret });
    expect(set).toEqual({ name: 'crm/robot', username: 'robot', updatedAt: new Date(T0) });
    expect(set).not.toHaveProperty('password');
    expect(await rt.credentials.get('crm/robot')).toEqual({
      name: 'crm/robot',
      username: 'robot',
      password: secret,
      updatedAt: new Date(T0),
    });

    clock.advance(1000);
    const other = password();
    await rt.credentials.set('crm/robot', { username: 'robot2', password: other });
    expect(await rt.credentials.get('crm/robot')).toEqual({
      name: 'crm/robot',
      username: 'robot2',
      password: other,
      updatedAt: new Date(T0 + 1000),
    });
  });

  it('keeps any string as username and password: empty, unicode, the longest allowed', async () => {
    const { rt } = await open();
    for (const [username, secret] of [
      ['', ''],
      ['ünïcødé', 'pässwörd ✓ \n\t'],
      ['u'.repeat(1024), 'p'.repeat(16_384)],
    ] as const) {
      await rt.credentials.set('c', { username, password: secret });
      expect(await rt.credentials.get('c')).toMatchObject({ username, password: secret });
    }
  });

  it('lists credentials in name order without passwords', async () => {
    const { rt } = await open();
    for (const name of ['b', 'a', 'c/1'])
      await rt.credentials.set(name, { username: `u-${name}`, password: password() });
    const items = await rt.credentials.list();
    expect(items).toEqual([
      { name: 'a', username: 'u-a', updatedAt: new Date(T0) },
      { name: 'b', username: 'u-b', updatedAt: new Date(T0) },
      { name: 'c/1', username: 'u-c/1', updatedAt: new Date(T0) },
    ]);
    for (const item of items) expect(item).not.toHaveProperty('password');
  });

  it('deletes a credential and answers whether there was one', async () => {
    const { rt } = await open();
    await rt.credentials.set('c', { username: 'u', password: password() });
    expect(await rt.credentials.delete('c')).toBe(true);
    expect(await rt.credentials.delete('c')).toBe(false);
    expect(await codeOf(() => rt.credentials.get('c'))).toBe('CREDENTIAL_NOT_FOUND');
    expect(await rt.credentials.list()).toEqual([]);
  });

  it('fails with CREDENTIAL_NOT_FOUND, INVALID_NAME and INVALID_ARGUMENT, never naming the password', async () => {
    const { rt } = await open();
    const secret = password();
    expect(await codeOf(() => rt.credentials.get('missing'))).toBe('CREDENTIAL_NOT_FOUND');
    expect(await codeOf(() => rt.credentials.get('no spaces'))).toBe('INVALID_NAME');
    expect(await codeOf(() => rt.credentials.delete(''))).toBe('INVALID_NAME');
    expect(await codeOf(() => rt.credentials.set('bad name', { username: 'u', password: secret }))).toBe(
      'INVALID_NAME',
    );
    const bad: Array<[unknown, string]> = [
      [undefined, 'INVALID_ARGUMENT'],
      [{ username: 'u' }, 'INVALID_ARGUMENT'],
      [{ username: 3, password: secret }, 'INVALID_ARGUMENT'],
      [{ username: 'u'.repeat(1025), password: secret }, 'INVALID_ARGUMENT'],
      [{ username: 'u', password: secret + 'p'.repeat(16_384) }, 'INVALID_ARGUMENT'],
    ];
    for (const [credential, code] of bad) {
      const err = await failure(() => rt.credentials.set('c', credential as { username: string; password: string }));
      expect(err.code).toBe(code);
      expect(JSON.stringify({ message: err.message, context: err.context })).not.toContain(secret);
    }
    expect(await rt.credentials.list()).toEqual([]);
  });
});

describe('the secret key', () => {
  it('creates <dataDir>/secret.key on first open: 32 random bytes in base64, mode 0600', async () => {
    const { dir } = await open();
    const file = path.join(dir, 'secret.key');
    expect(Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32);
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('keeps credentials across close and reopen with the key file', async () => {
    const { rt, dir, clock } = await open();
    const secret = password();
    await rt.credentials.set('kept', { username: 'u', password: secret });
    await rt.credentials.set('gone', { username: 'u', password: password() });
    await rt.credentials.delete('gone');
    const keyText = fs.readFileSync(path.join(dir, 'secret.key'), 'utf8');
    await rt.close();
    const { rt: again } = await open({ dataDir: dir, clock });
    expect(fs.readFileSync(path.join(dir, 'secret.key'), 'utf8')).toBe(keyText);
    expect(await again.credentials.get('kept')).toEqual({
      name: 'kept',
      username: 'u',
      password: secret,
      updatedAt: new Date(T0),
    });
    expect(await codeOf(() => again.credentials.get('gone'))).toBe('CREDENTIAL_NOT_FOUND');
  });

  it('takes the key from WEFT_SECRET_KEY, and the secretKey option over it, writing no key file', async () => {
    const envKey = generateSecretKey();
    const optionKey = generateSecretKey();
    vi.stubEnv('WEFT_SECRET_KEY', envKey);
    const { rt, dir } = await open();
    const secret = password();
    await rt.credentials.set('c', { username: 'u', password: secret });
    await rt.close();
    expect(fs.existsSync(path.join(dir, 'secret.key'))).toBe(false);
    // The environment's key opens them; the option wins over it.
    const { rt: withEnv } = await open({ dataDir: dir });
    expect((await withEnv.credentials.get('c')).password).toBe(secret);
    await withEnv.close();
    const { rt: withOption } = await open({ dataDir: dir, secretKey: optionKey });
    expect(await codeOf(() => withOption.credentials.get('c'))).toBe('SECRET_KEY_MISMATCH');
    await withOption.close();
    const { rt: withSameOption } = await open({ dataDir: dir, secretKey: envKey });
    expect((await withSameOption.credentials.get('c')).password).toBe(secret);
  });

  it('refuses a key that is not 32 bytes in base64, without echoing it', async () => {
    for (const secretKey of ['short', randomBytes(16).toString('base64'), randomBytes(33).toString('base64')]) {
      const err = await failure(() => Runtime.open({ dataDir: tempDir(), logger, secretKey }));
      expect(err.code).toBe('INVALID_ARGUMENT');
      expect(err.message).toContain('secretKey');
      expect(err.message).not.toContain(secretKey);
    }
    vi.stubEnv('WEFT_SECRET_KEY', 'not-a-key');
    const err = await failure(() => Runtime.open({ dataDir: tempDir(), logger }));
    expect(err.message).toContain('WEFT_SECRET_KEY');
  });

  it('refuses a damaged key file, naming it', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'secret.key'), 'garbage\n', { mode: 0o600 });
    const err = await failure(() => Runtime.open({ dataDir: dir, logger }));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toContain(path.join(dir, 'secret.key'));
  });

  it('refuses an empty key file, saying what to do about it', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'secret.key'), '', { mode: 0o600 });
    const err = await failure(() => Runtime.open({ dataDir: dir, logger }));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(/delete it \(the next open creates a new key file\)/);
  });

  it('creates the key file whole: a temporary file a crash left behind is ignored', async () => {
    const dir = tempDir();
    // What a crash between writing and linking leaves: a partial key under a temporary name.
    const leftover = path.join(dir, 'secret.key.4242.0badf00d.tmp');
    fs.writeFileSync(leftover, generateSecretKey().slice(0, 10), { mode: 0o600 });
    const { rt } = await open({ dataDir: dir });
    const secret = password();
    await rt.credentials.set('c', { username: 'u', password: secret });
    const keyText = fs.readFileSync(path.join(dir, 'secret.key'), 'utf8');
    expect(() => parseSecretKey(keyText, 'key')).not.toThrow();
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([path.basename(leftover)]);
    await rt.close();
    const { rt: again } = await open({ dataDir: dir });
    expect((await again.credentials.get('c')).password).toBe(secret);
  });

  it('answers one key to creators that race, the winner whole', async () => {
    const file = keyFileOf(tempDir());
    const keys = await Promise.all(Array.from({ length: 8 }, () => file.create()));
    expect(new Set(keys.map((k) => k.fingerprint)).size).toBe(1);
    expect((await file.read())?.fingerprint).toBe(keys[0]?.fingerprint);
    expect(fs.readdirSync(path.dirname(file.path))).toEqual(['secret.key']);
  });

  it('works in an in-memory runtime, with a random key for its life or the given one', async () => {
    const { rt } = await open({ inMemory: true, dataDir: path.join(tempDir(), 'unused') });
    const secret = password();
    await rt.credentials.set('c', { username: 'u', password: secret });
    expect((await rt.credentials.get('c')).password).toBe(secret);
    expect(await rt.credentials.rotateKey(generateSecretKey())).toEqual({ rotated: 1 });
    expect((await rt.credentials.get('c')).password).toBe(secret);
    const { rt: keyed } = await open({ inMemory: true, secretKey: generateSecretKey() });
    await keyed.credentials.set('c', { username: 'u', password: secret });
    expect((await keyed.credentials.get('c')).password).toBe(secret);
  });
});

describe('a wrong key', () => {
  it('opens (constants need no key) but fails reads and writes of credentials with SECRET_KEY_MISMATCH', async () => {
    const right = generateSecretKey();
    const wrong = generateSecretKey();
    const { rt, dir } = await open({ secretKey: right });
    const secret = password();
    await rt.credentials.set('c', { username: 'u', password: secret });
    await rt.constants.set('k', 'v');
    await rt.close();

    const { rt: wrongly } = await open({ dataDir: dir, secretKey: wrong });
    expect((await wrongly.constants.get('k')).value).toBe('v');
    expect(await wrongly.credentials.list()).toEqual([{ name: 'c', username: 'u', updatedAt: new Date(T0) }]);
    const err = await failure(() => wrongly.credentials.get('c'));
    expect(err.code).toBe('SECRET_KEY_MISMATCH');
    const fingerprint = (text: string): string => parseSecretKey(text, 'key').fingerprint;
    expect(err.message).toContain(fingerprint(right));
    expect(err.message).toContain(fingerprint(wrong));
    expect(err.message).toContain('secretKey option');
    expect(err.message).not.toContain(secret);
    // Writing under the wrong key would leave credentials no single key opens.
    expect(await codeOf(() => wrongly.credentials.set('d', { username: 'u', password: password() }))).toBe(
      'SECRET_KEY_MISMATCH',
    );
    expect(await codeOf(() => wrongly.credentials.rotateKey(generateSecretKey()))).toBe('SECRET_KEY_MISMATCH');
    await wrongly.close();

    const { rt: rightly } = await open({ dataDir: dir, secretKey: right });
    expect((await rightly.credentials.get('c')).password).toBe(secret);
    expect(await codeOf(() => rightly.credentials.get('d'))).toBe('CREDENTIAL_NOT_FOUND');
  });

  it('names the key file, but not the folder it is in, in SECRET_KEY_MISMATCH', async () => {
    const { rt, dir } = await open();
    await rt.credentials.set('c', { username: 'u', password: password() });
    await rt.close();
    fs.writeFileSync(path.join(dir, 'secret.key'), generateSecretKey() + '\n', { mode: 0o600 });
    const { rt: wrongly } = await open({ dataDir: dir });
    for (const call of [
      () => wrongly.credentials.get('c'),
      () => wrongly.credentials.set('d', { username: 'u', password: password() }),
    ]) {
      const err = await failure(call);
      expect(err.code).toBe('SECRET_KEY_MISMATCH');
      expect(err.message).toContain('the key in secret.key');
      expect(err.message).not.toContain(dir);
    }
  });

  it('may write once every credential is gone', async () => {
    const { rt, dir } = await open({ secretKey: generateSecretKey() });
    await rt.credentials.set('c', { username: 'u', password: password() });
    await rt.close();
    const fresh = generateSecretKey();
    const { rt: again } = await open({ dataDir: dir, secretKey: fresh });
    expect(await again.credentials.delete('c')).toBe(true);
    const secret = password();
    await again.credentials.set('d', { username: 'u', password: secret });
    expect((await again.credentials.get('d')).password).toBe(secret);
  });

  it('is caught by the GCM tag when the fingerprint matches but the ciphertext was altered', async () => {
    const dir = tempDir();
    const { credentials, journal } = await openBare(dir);
    await credentials.set('c', { username: 'u', password: password() });
    const record = JSON.parse((await stored(journal, 'credentials')).get('c')!) as { secret: string };
    const parts = record.secret.split(':');
    const ciphertext = Buffer.from(parts[4]!, 'base64');
    ciphertext[0]! ^= 1;
    parts[4] = ciphertext.toString('base64');
    await write(journal, [
      { type: 'put', kind: 'credentials', key: 'c', value: JSON.stringify({ ...record, secret: parts.join(':') }) },
    ]);
    const err = await failure(() => credentials.get('c'));
    expect(err.code).toBe('SECRET_KEY_MISMATCH');
    expect(err.message).toContain('does not decrypt');
  });

  it('binds a ciphertext to its name: moved to another name, it does not decrypt', async () => {
    const dir = tempDir();
    const { credentials, journal } = await openBare(dir);
    const secret = password();
    await credentials.set('alice', { username: 'alice', password: secret });
    await credentials.set('bob', { username: 'bob', password: password() });
    const alice = (await stored(journal, 'credentials')).get('alice')!;
    await write(journal, [{ type: 'put', kind: 'credentials', key: 'bob', value: alice }]);
    const err: WeftError = await failure(() => credentials.get('bob'));
    expect(err.code).toBe('SECRET_KEY_MISMATCH');
    expect(err.message).not.toContain(secret);
    expect((await credentials.get('alice')).password).toBe(secret);
  });
});

describe('key rotation', () => {
  it('re-encrypts every credential in one journal batch and writes the new key to the key file', async () => {
    const dir = tempDir();
    const bare = await openBare(dir);
    const secrets = new Map([1, 2, 3].map((i) => [`c${i}`, password()]));
    for (const [name, secret] of secrets) await bare.credentials.set(name, { username: name, password: secret });
    const oldKey = fs.readFileSync(path.join(dir, 'secret.key'), 'utf8').trim();
    const before = await stored(bare.journal, 'credentials');

    const writes = vi.spyOn(bare.journal, 'write');
    const batches = bare.journal.stats.batches;
    const newKey = generateSecretKey();
    expect(await bare.credentials.rotateKey(newKey)).toEqual({ rotated: 3, keyFile: path.join(dir, 'secret.key') });
    expect(writes).toHaveBeenCalledTimes(1);
    const ops = writes.mock.calls[0]![0];
    expect(ops.filter((op) => op.kind === 'credentials').map((op) => op.key)).toEqual(['c1', 'c2', 'c3']);
    expect(ops.find((op) => op.kind === 'meta')).toMatchObject({ value: parseSecretKey(newKey, 'k').fingerprint });
    expect(bare.journal.stats.batches).toBe(batches + 1);
    writes.mockRestore();

    // New ciphertexts, the new key in the file, no previous key left behind.
    const after = await stored(bare.journal, 'credentials');
    for (const name of secrets.keys()) expect(after.get(name)).not.toBe(before.get(name));
    expect(fs.readFileSync(path.join(dir, 'secret.key'), 'utf8').trim()).toBe(newKey);
    expect(fs.existsSync(path.join(dir, 'secret.key.previous'))).toBe(false);
    if (process.platform !== 'win32') expect(fs.statSync(path.join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    for (const [name, secret] of secrets) expect((await bare.credentials.get(name)).password).toBe(secret);
    await bare.close();

    // The old key no longer opens them; the key file does.
    const withOld = await openBare(dir, oldKey);
    expect(await codeOf(() => withOld.credentials.get('c1'))).toBe('SECRET_KEY_MISMATCH');
    await withOld.close();
    const { rt } = await open({ dataDir: dir });
    for (const [name, secret] of secrets) expect((await rt.credentials.get(name)).password).toBe(secret);
  });

  it('with a key from WEFT_SECRET_KEY, goes on with the new key and leaves changing the variable to the caller', async () => {
    const oldKey = generateSecretKey();
    const newKey = generateSecretKey();
    vi.stubEnv('WEFT_SECRET_KEY', oldKey);
    const { rt, dir } = await open();
    const secret = password();
    await rt.credentials.set('c', { username: 'u', password: secret });
    expect(await rt.credentials.rotateKey(newKey)).toEqual({ rotated: 1 });
    expect((await rt.credentials.get('c')).password).toBe(secret);
    await rt.credentials.set('d', { username: 'u', password: secret });
    await rt.close();
    expect(fs.existsSync(path.join(dir, 'secret.key'))).toBe(false);

    const { rt: stale } = await open({ dataDir: dir });
    expect(await codeOf(() => stale.credentials.get('c'))).toBe('SECRET_KEY_MISMATCH');
    await stale.close();
    vi.stubEnv('WEFT_SECRET_KEY', newKey);
    const { rt: updated } = await open({ dataDir: dir });
    expect((await updated.credentials.get('c')).password).toBe(secret);
    expect((await updated.credentials.get('d')).password).toBe(secret);
  });

  it('refuses a bad new key and changes nothing', async () => {
    const { rt, dir } = await open();
    const secret = password();
    await rt.credentials.set('c', { username: 'u', password: secret });
    const keyText = fs.readFileSync(path.join(dir, 'secret.key'), 'utf8');
    for (const key of ['', 'short', randomBytes(31).toString('base64'), 42 as unknown as string]) {
      const err = await failure(() => rt.credentials.rotateKey(key));
      expect(err.code).toBe('INVALID_ARGUMENT');
    }
    expect(fs.readFileSync(path.join(dir, 'secret.key'), 'utf8')).toBe(keyText);
    expect((await rt.credentials.get('c')).password).toBe(secret);
  });

  it('keeps every credential readable while sets and gets run alongside a rotation', async () => {
    const { rt, dir } = await open();
    const secrets = new Map<string, string>();
    for (let i = 0; i < 20; i++) secrets.set(`c${i}`, password());
    await Promise.all(
      [...secrets].map(([name, secret]) => rt.credentials.set(name, { username: name, password: secret })),
    );
    const late = new Map([...Array(10).keys()].map((i) => [`late${i}`, password()]));
    const newKey = generateSecretKey();
    const [rotation] = await Promise.all([
      rt.credentials.rotateKey(newKey),
      ...[...late].map(([name, secret]) => rt.credentials.set(name, { username: name, password: secret })),
      ...[...secrets].map(async ([name, secret]) => expect((await rt.credentials.get(name)).password).toBe(secret)),
    ]);
    expect(rotation.rotated).toBe(20);
    await rt.close();
    const { rt: again } = await open({ dataDir: dir });
    for (const [name, secret] of [...secrets, ...late])
      expect((await again.credentials.get(name)).password).toBe(secret);
  });
});

describe('a rotation cut short by a crash', () => {
  it('before its batch committed: the previous key goes back into the key file', async () => {
    const { rt, dir } = await open();
    const secret = password();
    await rt.credentials.set('c', { username: 'u', password: secret });
    await rt.close();
    // What rotateKey leaves just before its batch commits: the old key kept, the new one in place.
    const file = keyFileOf(dir);
    const oldKey = (await file.read())!;
    await file.keepPrevious(oldKey);
    await file.replace(parseSecretKey(generateSecretKey(), 'key'));

    const { rt: again } = await open({ dataDir: dir });
    expect((await again.credentials.get('c')).password).toBe(secret);
    expect((await file.read())!.fingerprint).toBe(oldKey.fingerprint);
    expect(fs.existsSync(file.previousPath)).toBe(false);
    // Writes go on under the restored key.
    await again.credentials.set('d', { username: 'u', password: secret });
    expect((await again.credentials.get('d')).password).toBe(secret);
  });

  it('after its batch committed: the previous key file is removed', async () => {
    const { rt, dir } = await open();
    const secret = password();
    await rt.credentials.set('c', { username: 'u', password: secret });
    const file = keyFileOf(dir);
    const oldKey = (await file.read())!;
    await rt.credentials.rotateKey(generateSecretKey());
    await rt.close();
    // What a crash just before removing secret.key.previous leaves.
    await file.keepPrevious(oldKey);

    const { rt: again } = await open({ dataDir: dir });
    expect((await again.credentials.get('c')).password).toBe(secret);
    expect(fs.existsSync(file.previousPath)).toBe(false);
    expect((await file.read())!.fingerprint).not.toBe(oldKey.fingerprint);
  });

  it('when the batch fails: both keys stay on disk, and the next open keeps the one the store holds', async () => {
    const dir = tempDir();
    const bare = await openBare(dir);
    const secret = password();
    await bare.credentials.set('c', { username: 'u', password: secret });
    // The batch's own commit (the call with its seq) fails; reads (which call committed()) do not.
    const committed = bare.journal.committed.bind(bare.journal);
    const failing = vi
      .spyOn(bare.journal, 'committed')
      .mockImplementation((seq) => (seq === undefined ? committed() : Promise.reject(new Error('disk on fire'))));
    await expect(bare.credentials.rotateKey(generateSecretKey())).rejects.toThrow('disk on fire');
    failing.mockRestore();
    const file = keyFileOf(dir);
    expect(fs.existsSync(file.previousPath)).toBe(true);
    await bare.close();

    const { rt } = await open({ dataDir: dir });
    expect((await rt.credentials.get('c')).password).toBe(secret);
    expect(fs.existsSync(file.previousPath)).toBe(false);
  });
});
