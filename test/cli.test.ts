/** The weft CLI as a user runs it: a real process, exit codes, JSON output. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dirs: string[] = [];

function weft(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'silent' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function dataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-cli-'));
  dirs.push(dir);
  return dir;
}

const modules = [
  '--workflows',
  'examples/quickstart/workflows.ts',
  '--activities',
  'examples/quickstart/activities.ts',
];

afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('weft run', () => {
  it('runs a workflow and prints its result as JSON; the same id answers the recorded outcome', () => {
    const data = dataDir();
    const first = weft('run', ...modules, '--data', data, '--json', '--id', 'job-1', 'basic', '[1, 0]');
    expect(first.status).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ id: 'job-1', status: 'SUCCESS', result: 4 });
    const again = weft('run', ...modules, '--data', data, '--json', '--id', 'job-1', 'basic', '[100, 0]');
    expect(JSON.parse(again.stdout)).toEqual({ id: 'job-1', status: 'SUCCESS', result: 4 });
  });

  it('takes {"args", "kwargs"} input and prints a plain result without --json', () => {
    const r = weft('run', ...modules, '--data', dataDir(), 'basic', '{"args": [2, 0]}');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('6');
  });

  it('exits 1 with the error code when the workflow fails', () => {
    const fixtures = ['--workflows', 'test/fixtures/workflows.ts', '--activities', 'test/fixtures/activities.ts'];
    const r = weft('run', ...fixtures, '--data', dataDir(), '--json', 'throwsWeft');
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout) as { status: string; error: { code: string } };
    expect(doc.status).toBe('FAILED');
    expect(doc.error.code).toBe('VERSION_CONFLICT');
  });

  it('exits 2 on usage errors, with help', () => {
    expect(weft('run', 'basic').status).toBe(2);
    expect(weft('run', ...modules, '--data', dataDir(), 'basic', '{not json').status).toBe(2);
    expect(weft('run', ...modules, '--data', dataDir(), 'nope').status).toBe(2);
    const unknown = weft('frobnicate');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('Usage: weft');
    expect(weft('--help').status).toBe(0);
    expect(weft('run', '--help').stdout).toContain('--workflows');
  });
});
