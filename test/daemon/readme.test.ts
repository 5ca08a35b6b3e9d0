/**
 * The README's daemon examples run as written against a real daemon serving every example:
 * each block marked `<!-- readme-test: … -->` runs under `set -euo pipefail`, so any command
 * that fails (a non-zero exit, or curl -f on an HTTP error) fails the test.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonTempDir, ROOT, startDaemon, type DaemonProcess } from '../fixtures/daemon.js';

const run = promisify(execFile);
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const DEFAULT_URL = 'http://127.0.0.1:7420';

/** The fenced block right after `<!-- readme-test: name -->`. */
function block(name: string): string {
  const match = new RegExp(`<!-- readme-test: ${name} -->\\s*\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``).exec(README);
  if (!match?.[1]) throw new Error(`README has no block marked readme-test: ${name}`);
  return match[1];
}

let daemon: DaemonProcess;
let cwd: string;

beforeAll(async () => {
  // Laid out as after `npm start`: the data folder is ./weft-data of the folder commands run in.
  cwd = daemonTempDir();
  daemon = await startDaemon({
    dataDir: path.join(cwd, 'weft-data'),
    config: path.join(ROOT, 'examples/weft.config.ts'),
  });
});

afterAll(async () => {
  await daemon.stop('SIGTERM');
});

async function bash(script: string): Promise<{ stdout: string; stderr: string }> {
  const tsx = path.join(ROOT, 'node_modules/.bin/tsx');
  const prelude = [
    'set -euo pipefail',
    `weft() { ${JSON.stringify(tsx)} ${JSON.stringify(path.join(ROOT, 'src/cli/main.ts'))} "$@"; }`,
  ].join('\n');
  return run('bash', ['-c', `${prelude}\n${script.replaceAll(DEFAULT_URL, daemon.url)}`], {
    cwd,
    env: { ...process.env, WEFT_URL: daemon.url, LOG_LEVEL: 'warn' },
    maxBuffer: 16 * 1024 * 1024,
  });
}

describe('README examples', () => {
  it('the CLI tour runs', async () => {
    const { stdout } = await bash(block('cli'));
    expect(stdout).toContain('"id":"order-42","status":"SUCCESS","result":6');
    expect(stdout).toMatch(/^4$/m);
    expect(stdout).toContain('notification_emails');
    // Some thirty CLI processes, each starting under tsx: minutes on a busy 2-core machine.
  }, 240_000);

  it('the curl examples run', async () => {
    const { stdout } = await bash(block('http'));
    expect(stdout).toContain('"id":"order-7"');
    expect(stdout).toContain('"status":"SUCCESS"');
    expect(stdout).toContain('weft_executions{status="SUCCESS"}');
  });

  it('the WeftClient example runs', async () => {
    const file = path.join(cwd, 'client-example.mts');
    const source = block('client').replace(`from 'weft'`, `from ${JSON.stringify(path.join(ROOT, 'src/index.ts'))}`);
    fs.writeFileSync(file, source);
    const { stdout } = await run(path.join(ROOT, 'node_modules/.bin/tsx'), [file], {
      cwd,
      env: { ...process.env, WEFT_URL: daemon.url, WEFT_TOKEN: daemon.token, LOG_LEVEL: 'warn' },
    });
    expect(stdout).toContain('SUCCESS 4');
  });
});
