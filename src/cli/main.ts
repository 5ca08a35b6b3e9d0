#!/usr/bin/env node
/**
 * The weft command line: builds the program from the command groups and maps how a
 * command ended to an exit code (0 ok, 1 failed, 2 usage, 3 no daemon).
 */
import fs from 'node:fs';
import { Command } from 'commander';
import { registerDaemonCommand } from './commands/daemon.js';
import { registerExecutionCommands } from './commands/executions.js';
import { registerLockCommands } from './commands/locks.js';
import { registerSettingCommands } from './commands/settings.js';
import { registerQueueCommands } from './commands/queues.js';
import { registerSecretCommands } from './commands/secrets.js';
import { registerTriggerCommands } from './commands/triggers.js';
import { registerLogCommands } from './commands/logs.js';
import { registerBenchCommand } from './commands/bench.js';
import { exitCodeOf, reportError } from './output.js';

function buildProgram(): Command {
  const program = new Command('weft')
    .description('weft: durable workflows. Run a daemon, then start and inspect executions through it.')
    .version(packageVersion(), '-v, --version', 'print the version')
    // Set before the commands are added, so that every one of them inherits it.
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'weft: ')) })
    .addHelpText(
      'after',
      `
Exit codes: 0 ok; 1 the workflow failed (start --wait) or the daemon answered an error;
2 usage error; 3 no daemon at the URL.
Environment: WEFT_URL (or WEFT_HOST, WEFT_PORT), WEFT_TOKEN, WEFT_DATA, LOG_LEVEL.

Example:
  $ weft daemon --data ./weft-data &
  $ weft start basic --input '[1, 5]' --wait --data ./weft-data
  $ weft list --header --data ./weft-data`,
    );
  registerDaemonCommand(program);
  registerExecutionCommands(program);
  registerSettingCommands(program);
  registerLockCommands(program);
  registerQueueCommands(program);
  registerSecretCommands(program);
  registerTriggerCommands(program);
  registerLogCommands(program);
  registerBenchCommand(program);
  return program;
}

/** The version in package.json: two folders up from src/cli, three from dist/src/cli. */
function packageVersion(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(fs.readFileSync(new URL(relative, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'weft' && pkg.version) return pkg.version;
    } catch {
      // Not this one: try the next.
    }
  }
  return 'unknown';
}

// `weft list | head` closes stdout early: the reader has what it wanted.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  reportError(err);
  process.exitCode = exitCodeOf(err);
}
