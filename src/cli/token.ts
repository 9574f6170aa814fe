// `crosswatch token new`: an API token for serve, 32 random bytes (base64url, 43
// characters): anyone who reaches the port may guess, so a token is long and random.
import { randomBytes } from 'node:crypto';
import type { Io } from './io.js';

export function tokenNewCommand(io: Io): number {
  io.stdout.write(`${randomBytes(32).toString('base64url')}\n`);
  return 0;
}
