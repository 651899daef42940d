import { randomBytes } from 'node:crypto';
import { PLAIN_SECRETS, SecretUnreadableError, encryptedSecrets } from './secret-box';

describe('secret boxes', () => {
  const secret = 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=';

  it('given a key, when a secret is sealed, then it is stored unreadable and opens to itself', () => {
    const box = encryptedSecrets(randomBytes(32));
    const sealed = box.seal(secret);
    expect(sealed).toMatch(/^enc:v1:/);
    expect(sealed).not.toContain('c2VjcmV0');
    expect(box.seal(secret)).not.toBe(sealed);
    expect(box.open(sealed)).toBe(secret);
    expect(box.isSealed(sealed)).toBe(true);
  });

  it('given another key or a changed byte, when opened, then it is refused naming the setting', () => {
    const sealed = encryptedSecrets(randomBytes(32)).seal(secret);
    expect(() => encryptedSecrets(randomBytes(32)).open(sealed)).toThrow(SecretUnreadableError);
    expect(() => encryptedSecrets(randomBytes(32)).open(sealed)).toThrow(/WEBHOOK_SECRETS_KEY/);
    const key = randomBytes(32);
    const box = encryptedSecrets(key);
    const bytes = Buffer.from(box.seal(secret).slice('enc:v1:'.length), 'base64');
    bytes[bytes.length - 1] ^= 1;
    expect(() => box.open(`enc:v1:${bytes.toString('base64')}`)).toThrow(SecretUnreadableError);
  });

  it('given a secret kept before the key was set, when opened under a key, then it is read as it is (and is not sealed)', () => {
    const box = encryptedSecrets(randomBytes(32));
    expect(box.open(secret)).toBe(secret);
    expect(box.isSealed(secret)).toBe(false);
  });

  it('given no key, then secrets are kept as they are, and an encrypted one is refused', () => {
    expect(PLAIN_SECRETS.seal(secret)).toBe(secret);
    expect(() => PLAIN_SECRETS.open(encryptedSecrets(randomBytes(32)).seal(secret))).toThrow(/no key is set/);
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => encryptedSecrets(randomBytes(16))).toThrow(/32 bytes/);
  });
});
