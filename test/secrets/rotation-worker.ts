/**
 * Child process of the rotation crash test (rotation-crash.test.ts); it runs until SIGKILLed.
 * Usage: node --import tsx test/secrets/rotation-worker.ts <dataDir> <tag>
 *
 * It opens a runtime on <dataDir> (the key in <dataDir>/secret.key) and, back to back,
 * rotates the key and sets a credential `<tag>-<n>` whose password is `pw:<tag>-<n>`.
 * Each is reported over IPC once acknowledged.
 */
import { pino } from 'pino';
import { Runtime } from '../../src/index.js';
import { generateSecretKey } from '../../src/secret-key.js';

export type RotationMessage =
  { op: 'ready' } | { op: 'set'; name: string } | { op: 'rotated' } | { op: 'failed'; error: string };

const [dataDir, tag] = process.argv.slice(2) as [string, string];
const send = (m: RotationMessage): void => void process.send?.(m);

try {
  const rt = await Runtime.open({ dataDir, logger: pino({ level: 'silent' }) });
  send({ op: 'ready' });
  for (let n = 0; ; n++) {
    const name = `${tag}-${n}`;
    await rt.credentials.set(name, { username: name, password: `pw:${name}` });
    send({ op: 'set', name });
    await rt.credentials.rotateKey(generateSecretKey());
    send({ op: 'rotated' });
  }
} catch (err) {
  send({ op: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exitCode = 1;
}
