import { createHash } from 'node:crypto';

/**
 * A UUID (version 5 layout, SHA-1 of the name) derived from its inputs, so a retried command
 * produces the same event ids and the store's duplicate detection makes the retry harmless.
 */
export const deterministicUuid = (...parts: string[]): string => {
  const hash = createHash('sha1').update(parts.join('\u0000')).digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

/** A short stable digest of a request, to tell a true retry from a reused idempotency key. */
export const fingerprint = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 22);
