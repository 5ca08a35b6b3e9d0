import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DaemonToken {
  token: string;
  /** The file it was read from or created in; absent when it came from WEFT_TOKEN. */
  file?: string;
}

/**
 * The bearer token: WEFT_TOKEN if set, else `<dataDir>/token`, created on first start with
 * 256 random bits, readable by its owner only. Call it once the data folder is locked, so
 * two daemons never race to create it.
 */
export function loadToken(dataDir: string, env: NodeJS.ProcessEnv = process.env): DaemonToken {
  const fromEnv = env.WEFT_TOKEN?.trim();
  if (fromEnv) return { token: fromEnv };
  const file = join(dataDir, 'token');
  try {
    const token = readFileSync(file, 'utf8').trim();
    // A token others can read is no secret: tighten it rather than refuse to start.
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    if (token.length > 0) return { token, file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return { token, file };
}
