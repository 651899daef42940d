import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * How signing secrets are kept in the database. They must be readable (HMAC needs the secret
 * itself), so they cannot be hashed; with WEBHOOK_SECRETS_KEY they are encrypted with AES-256-GCM,
 * so a copy of the database (a backup, a replica) does not give them away.
 */
export interface SecretBox {
  seal(secret: string): string;
  open(stored: string): string;
  /** Whether `stored` is kept the way this box keeps secrets (a plain one under a key is not). */
  isSealed(stored: string): boolean;
}

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A secret the configured key cannot open: the key changed, or is missing. */
export class SecretUnreadableError extends Error {
  constructor(reason: string) {
    super(`A stored webhook secret cannot be read: ${reason}. WEBHOOK_SECRETS_KEY must be the key the secrets were sealed with`);
  }
}

/** Without a key: secrets kept as they are. */
export const PLAIN_SECRETS: SecretBox = {
  seal: (secret) => secret,
  open: (stored) => {
    if (stored.startsWith(PREFIX)) throw new SecretUnreadableError('it is encrypted and no key is set');
    return stored;
  },
  isSealed: (stored) => !stored.startsWith(PREFIX),
};

/** AES-256-GCM under a 32-byte key: `enc:v1:` + base64(iv, tag, ciphertext). Tampering is detected. */
export function encryptedSecrets(key: Buffer): SecretBox {
  if (key.length !== 32) throw new RangeError(`A secrets key is 32 bytes, not ${key.length}`);
  return {
    seal: (secret) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
    },
    open: (stored) => {
      // Kept before a key was set: still readable; sealed at the next start.
      if (!stored.startsWith(PREFIX)) return stored;
      const sealed = Buffer.from(stored.slice(PREFIX.length), 'base64');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
        decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretUnreadableError('the key does not open it');
      }
    },
    isSealed: (stored) => stored.startsWith(PREFIX),
  };
}
