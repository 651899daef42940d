import { generateSigningKey, issueToken, readAuthConfig, type SigningKey } from '@lib/platform';
import { AuthError } from './auth.errors';
import { TokenVerifier } from './token-verifier';
import { VERIFIED_TOKEN_TRUST_MS } from './verified-tokens';

describe('TokenVerifier: a token verified once is trusted until it expires, a minute at most', () => {
  const start = new Date('2026-12-04T10:00:00.000Z');
  let key: SigningKey;
  let clock: Date;
  let verifier: TokenVerifier;
  const bearer = (token: string) => `Bearer ${token}`;
  const refusal = async (token: string) => {
    try {
      await verifier.verify(bearer(token));
      return undefined;
    } catch (error) {
      return error instanceof AuthError ? `${error.code}: ${error.message}` : String(error);
    }
  };

  beforeEach(async () => {
    key = (await generateSigningKey()).key;
    clock = start;
    verifier = new TokenVerifier(readAuthConfig({}), key, () => clock);
  });

  it('given a verified token, when it is sent again, then the same principal comes back', async () => {
    const token = await issueToken(key, { sub: 'agent-1', roles: ['agent'], ttlMs: 3_600_000, now: start });
    const first = await verifier.verify(bearer(token));
    clock = new Date(start.getTime() + 1_000);
    expect(await verifier.verify(bearer(token))).toEqual(first);
    expect(first).toEqual({ id: 'agent-1', roles: ['agent'] });
  });

  it('given a verified token, when the clock passes its expiry, then it is refused as expired', async () => {
    const token = await issueToken(key, { sub: 'agent-1', roles: ['agent'], ttlMs: 30_000, now: start });
    await verifier.verify(bearer(token));
    clock = new Date(start.getTime() + 31_000);
    expect(await refusal(token)).toMatch(/^AUTH.INVALID_TOKEN: .*expired/);
  });

  it('given a verified token, when its minute of trust is over, then its signature is checked again', async () => {
    const token = await issueToken(key, { sub: 'agent-1', roles: ['agent'], ttlMs: 3_600_000, now: start });
    await verifier.verify(bearer(token));
    // Another key in the verifier's place: a token taken on trust would still pass; checked again it cannot.
    const otherKey = (await generateSigningKey()).key;
    const rotated = new TokenVerifier(readAuthConfig({}), otherKey, () => clock);
    expect(await rotated.verify(bearer(token)).catch((error: AuthError) => error.code)).toBe('AUTH.INVALID_TOKEN');
    Object.assign(verifier, { key: otherKey.publicKey });
    clock = new Date(start.getTime() + VERIFIED_TOKEN_TRUST_MS - 1);
    expect(await verifier.verify(bearer(token))).toEqual({ id: 'agent-1', roles: ['agent'] });
    clock = new Date(start.getTime() + VERIFIED_TOKEN_TRUST_MS);
    expect(await refusal(token)).toMatch(/^AUTH.INVALID_TOKEN: .*signature/);
  });

  it('given a token refused once, when it is sent again, then it is refused again', async () => {
    const token = await issueToken(key, { sub: 'agent-1', roles: ['agent'], ttlMs: 3_600_000, now: start });
    const tampered = `${token.slice(0, -4)}AAAA`;
    expect(await refusal(tampered)).toMatch(/^AUTH.INVALID_TOKEN/);
    expect(await refusal(tampered)).toMatch(/^AUTH.INVALID_TOKEN/);
  });

  it('given a verified principal, then nobody can change it for the next request', async () => {
    const token = await issueToken(key, { sub: 'agent-1', roles: ['agent'], ttlMs: 3_600_000, now: start });
    const principal = await verifier.verify(bearer(token));
    expect(() => (principal.roles as string[]).push('admin')).toThrow(TypeError);
    expect((await verifier.verify(bearer(token))).roles).toEqual(['agent']);
  });
});
