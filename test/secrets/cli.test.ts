/**
 * `weft constant …` and `weft credential …` against a real daemon: output, `--json`, exit
 * codes, and the rules for passwords and keys (stdin only, never argv).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConnection } from '../../src/cli/connection.js';
import { WeftClient } from '../../src/client/client.js';
import { generateSecretKey } from '../../src/secret-key.js';
import { cliEnv, runCli, startDaemon, type CliResult, type DaemonProcess } from '../fixtures/daemon.js';

let daemon: DaemonProcess;
let client: WeftClient;

beforeAll(async () => {
  daemon = await startDaemon({ env: { WEFT_SECRET_KEY: generateSecretKey() } });
  client = new WeftClient({ url: daemon.url, token: daemon.token });
});

afterAll(async () => {
  await daemon?.stop();
});

function weft(args: string[], stdin?: string): Promise<CliResult> {
  return runCli(args, { env: cliEnv(daemon), ...(stdin !== undefined && { stdin }) });
}

function expectOk(r: CliResult): void {
  expect(r.code, r.stderr).toBe(0);
}

describe('the token', () => {
  it('is trimmed, and taken as unset when blank, as the daemon does', async () => {
    const url = 'http://127.0.0.1:1';
    expect(resolveConnection({ url }, { WEFT_TOKEN: ' env-token\n' }).token).toBe('env-token');
    expect(resolveConnection({ url, token: '\topt-token ' }, {}).token).toBe('opt-token');
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-token-'));
    try {
      fs.writeFileSync(path.join(data, 'token'), 'file-token\n');
      expect(resolveConnection({ url, data }, { WEFT_TOKEN: ' \n' }).token).toBe('file-token');
    } finally {
      fs.rmSync(data, { recursive: true, force: true });
    }
    // The daemon takes WEFT_TOKEN trimmed: a CLI given it with a newline gets in too.
    const r = await runCli(['constant', 'list'], { env: { ...cliEnv(daemon), WEFT_TOKEN: `${daemon.token}\n` } });
    expectOk(r);
  });
});

describe('weft constant', () => {
  it('sets, gets, lists and deletes constants', async () => {
    expectOk(await weft(['constant', 'set', 'smtp/host', 'mail.example.com']));
    expectOk(await weft(['constant', 'set', 'smtp/port', '25']));
    const got = await weft(['constant', 'get', 'smtp/host', '--json']);
    expectOk(got);
    expect(JSON.parse(got.stdout)).toMatchObject({ name: 'smtp/host', value: 'mail.example.com' });
    const table = await weft(['constant', 'get', 'smtp/port', '--header']);
    expect(table.stdout.split('\n')[0]).toMatch(/^name\s+updated\s+value$/);
    expect(table.stdout).toMatch(/smtp\/port\s+\S+Z\s+25/);

    const page = await weft(['constant', 'list', '--prefix', 'smtp/', '--limit', '1']);
    expectOk(page);
    expect(page.stdout).toContain('smtp/host');
    expect(page.stderr).toContain('--cursor smtp/host');

    const deleted = await weft(['constant', 'delete', 'smtp/port']);
    expect(deleted.stdout).toBe('deleted smtp/port\n');
    await expect(client.secrets.constants.delete('smtp/port')).resolves.toBe(false);
  });

  it('fails with exit 1 and the code for a missing constant', async () => {
    for (const args of [
      ['constant', 'get', 'missing'],
      ['constant', 'delete', 'missing'],
    ]) {
      const r = await weft(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('weft: CONSTANT_NOT_FOUND: ');
    }
  });
});

describe('weft credential', () => {
  it('sets from stdin, hides the password unless asked, lists and deletes', async () => {
    const secret = 'cli-test-password-9d2f1a6b3c';
    const set = await weft(['credential', 'set', 'crm', '--username', 'robot', '--password-stdin', '--json'], secret);
    expectOk(set);
    expect(JSON.parse(set.stdout)).toEqual({ name: 'crm', username: 'robot', updatedAt: expect.any(String) as string });
    expect((await client.secrets.credentials.get('crm')).password).toBe(secret);

    const hidden = await weft(['credential', 'get', 'crm', '--header']);
    expect(hidden.stdout).not.toContain(secret);
    expect(hidden.stdout.split('\n')[0]).toMatch(/^name\s+username\s+updated$/);
    const shown = await weft(['credential', 'get', 'crm', '--show-password']);
    expect(shown.stdout).toMatch(new RegExp(`^crm\\s+robot\\s+\\S+Z\\s+${secret}\\n$`));

    const list = await weft(['credential', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toEqual({ items: [expect.objectContaining({ name: 'crm', username: 'robot' })] });

    expect((await weft(['credential', 'delete', 'crm'])).stdout).toBe('deleted crm\n');
    const missing = await weft(['credential', 'get', 'crm']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('weft: CREDENTIAL_NOT_FOUND: ');
  });

  it('refuses a password without --password-stdin when stdin is no terminal, and has no --password option', async () => {
    const prompt = await weft(['credential', 'set', 'c', '--username', 'u']);
    expect(prompt.code).toBe(2);
    expect(prompt.stderr).toContain('--password-stdin');
    const argv = await weft(['credential', 'set', 'c', '--username', 'u', '--password', 'x']);
    expect(argv.code).toBe(2);
    expect(await client.secrets.credentials.list()).toEqual([]);
  });

  it('rotates the key from stdin, and says the daemon environment must change; a generated key is printed', async () => {
    await client.secrets.credentials.set('a', { username: 'a', password: 'pw-a-for-rotation' });
    const fromStdin = await weft(['credential', 'rotate-key', '--key-stdin'], generateSecretKey() + '\n');
    expectOk(fromStdin);
    expect(fromStdin.stdout).toBe(
      "rotated 1 credentials; set the daemon's WEFT_SECRET_KEY to the new key before it restarts\n",
    );

    const generated = await weft(['credential', 'rotate-key', '--generate', '--json']);
    expectOk(generated);
    const answer = JSON.parse(generated.stdout) as { rotated: number; key: string };
    expect(answer.rotated).toBe(1);
    expect(Buffer.from(answer.key, 'base64')).toHaveLength(32);
    expect((await client.secrets.credentials.get('a')).password).toBe('pw-a-for-rotation');

    for (const args of [
      ['credential', 'rotate-key'],
      ['credential', 'rotate-key', '--generate', '--key-stdin'],
    ]) {
      const r = await weft(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('exactly one of --key-stdin and --generate');
    }
    const bad = await weft(['credential', 'rotate-key', '--key-stdin'], 'not a key');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('weft: INVALID_ARGUMENT: ');
    expect(bad.stderr).not.toContain('not a key');
  });
});
