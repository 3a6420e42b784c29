import { createHash } from 'node:crypto';

/** sha256 of a raw mail: identifies a dropped mail, so dropping it again is a no-op. */
export function sha256Hex(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}
