import { createHash } from 'crypto';

/** Hex SHA-256 of the parts in order: a file's bytes (checksums), or names and values (a tuning's identity). */
export function sha256(...parts: (Uint8Array | string)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}
