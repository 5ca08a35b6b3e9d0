/**
 * `npm run bench -- …`: the same command as `weft bench …` (src/cli/commands/bench.ts), for
 * running from a checkout without the CLI on the path.
 */
import { Command } from 'commander';
import { registerBenchCommand } from '../src/cli/commands/bench.js';
import { exitCodeOf, reportError } from '../src/cli/output.js';

const program = new Command('weft').exitOverride().configureOutput({
  outputError: (text, write) => write(text.replace(/^error: /, 'weft: ')),
});
registerBenchCommand(program);
try {
  await program.parseAsync(['bench', ...process.argv.slice(2)], { from: 'user' });
} catch (err) {
  reportError(err);
  process.exitCode = exitCodeOf(err);
}
