/**
 * A password is never at rest in plaintext, nor in the daemon's output. After credentials are
 * set, overwritten, rotated and deleted, every byte of every file under the data folder
 * (LevelDB's .ldb and .log files, journal.log, the key file, everything) is searched for
 * each password. A real daemon logging at trace has a credential set and read over HTTP and
 * through the CLI, and its stdout and stderr are searched too.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Runtime } from '../../src/index.js';
import { generateSecretKey } from '../../src/secret-key.js';
import { api, cliEnv, runCli, startDaemon } from '../fixtures/daemon.js';

const dirs: string[] = [];

afterEach(() => {
  vi.unstubAllEnvs();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Long and unique, so that finding one anywhere cannot be chance. */
function password(tag: string): string {
  return `pw-${tag}-${randomBytes(24).toString('hex')}`;
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** The files under `dir` that hold any of `secrets` (as UTF-8 or UTF-16 bytes), with the secret found. */
function plaintextIn(dir: string, secrets: string[]): string[] {
  const found: string[] = [];
  for (const file of filesUnder(dir)) {
    const bytes = fs.readFileSync(file);
    for (const secret of secrets)
      if (bytes.includes(Buffer.from(secret, 'utf8')) || bytes.includes(Buffer.from(secret, 'utf16le')))
        found.push(`${path.relative(dir, file)}: ${secret}`);
  }
  return found;
}

describe('at rest', () => {
  it('no file under the data folder holds a password, after sets, overwrites, a rotation and a delete', async () => {
    vi.stubEnv('WEFT_SECRET_KEY', '');
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-plaintext-'));
    dirs.push(dataDir);
    const rt = await Runtime.open({ dataDir, logger: pino({ level: 'silent' }) });
    const secrets: string[] = [];
    for (let i = 0; i < 20; i++) {
      const secret = password(`set${i}`);
      secrets.push(secret);
      await rt.credentials.set(`c${i}`, { username: `user${i}`, password: secret });
    }
    const replaced = password('replaced');
    secrets.push(replaced);
    await rt.credentials.set('c0', { username: 'user0', password: replaced });
    await rt.credentials.rotateKey(generateSecretKey());
    const afterRotation = password('after-rotation');
    secrets.push(afterRotation);
    await rt.credentials.set('late', { username: 'late', password: afterRotation });
    await rt.credentials.delete('c1');
    // The passwords are really there, sealed: each still reads back.
    expect((await rt.credentials.get('late')).password).toBe(afterRotation);
    await rt.close();

    expect(filesUnder(dataDir).length).toBeGreaterThan(3);
    expect(filesUnder(dataDir).some((f) => f.endsWith('.ldb') || f.endsWith('.log'))).toBe(true);
    expect(plaintextIn(dataDir, secrets)).toEqual([]);
    // The search would find one: the usernames are stored in plaintext.
    expect(plaintextIn(dataDir, ['user19']).length).toBeGreaterThan(0);
  });
});

describe('the daemon', () => {
  it('never prints a password at LOG_LEVEL=trace, over HTTP and the CLI, and keeps none in its data', async () => {
    const daemon = await startDaemon({ env: { LOG_LEVEL: 'trace', WEFT_SECRET_KEY: '' } });
    const env = cliEnv(daemon);
    const viaHttp = password('http');
    const viaCli = password('cli');
    const refused = password('refused');

    const put = await api(daemon, 'PUT', '/api/v1/credentials/http-cred', {
      body: { username: 'h', password: viaHttp },
    });
    expect(put.status, put.text).toBe(200);
    expect(put.text).not.toContain(viaHttp);
    const read = await api<{ password: string }>(daemon, 'GET', '/api/v1/credentials/http-cred');
    expect(read.body.password).toBe(viaHttp);
    const bad = await api(daemon, 'PUT', '/api/v1/credentials/http-cred', {
      body: { username: 'h', password: refused, extra: refused },
    });
    expect(bad.status).toBe(400);
    expect(bad.text).not.toContain(refused);

    const set = await runCli(['credential', 'set', 'cli-cred', '--username', 'c', '--password-stdin'], {
      env,
      stdin: viaCli + '\n',
    });
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout + set.stderr).not.toContain(viaCli);
    const hidden = await runCli(['credential', 'get', 'cli-cred', '--json'], { env });
    expect(hidden.code, hidden.stderr).toBe(0);
    expect(JSON.parse(hidden.stdout)).toEqual({
      name: 'cli-cred',
      username: 'c',
      updatedAt: expect.any(String) as string,
    });
    const shown = await runCli(['credential', 'get', 'cli-cred', '--show-password', '--json'], { env });
    expect(JSON.parse(shown.stdout)).toMatchObject({ name: 'cli-cred', username: 'c', password: viaCli });
    const listed = await runCli(['credential', 'list'], { env });
    expect(listed.stdout).toContain('cli-cred');
    expect(listed.stdout).not.toContain(viaCli);
    expect(listed.stdout).not.toContain(viaHttp);

    const rotated = await runCli(['credential', 'rotate-key', '--generate', '--json'], { env });
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(JSON.parse(rotated.stdout)).toEqual({ rotated: 2, keyFile: path.join(daemon.dataDir, 'secret.key') });
    const again = await runCli(['credential', 'get', 'http-cred', '--show-password'], { env });
    expect(again.stdout).toContain(viaHttp);

    const exit = await daemon.stop('SIGTERM');
    expect(exit.code).toBe(0);
    const output = daemon.stdout() + daemon.stderr();
    // Logging was on: requests were logged, at debug.
    expect(daemon.stderr()).toContain('"msg":"request"');
    for (const secret of [viaHttp, viaCli, refused]) expect(output).not.toContain(secret);
    expect(plaintextIn(daemon.dataDir, [viaHttp, viaCli, refused])).toEqual([]);
  });
});
