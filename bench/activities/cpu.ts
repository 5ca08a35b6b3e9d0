import { createHash } from 'node:crypto';

/**
 * Benchmark activity: CPU-bound work, `rounds` chained SHA-256 digests. The bench
 * calibrates `rounds` to about 20 ms, so the work is a fixed amount, not a fixed time:
 * threads sharing one core take longer rather than doing less.
 */
export function hashRounds(rounds: number): string {
  let digest = Buffer.alloc(64, 1);
  for (let i = 0; i < rounds; i++) digest = createHash('sha256').update(digest).digest();
  return digest.toString('hex', 0, 8);
}
