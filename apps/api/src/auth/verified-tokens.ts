import type { Principal } from '@lib/platform';

/**
 * How long a verified token is taken on trust before its signature is checked again: it bounds
 * how late a key withdrawn from the identity provider's key set stops being accepted (its JWKS
 * is itself cached for up to 10 minutes, so this adds little).
 */
export const VERIFIED_TOKEN_TRUST_MS = 60_000;
const REMEMBERED_TOKENS = 10_000;

interface Verified {
  principal: Principal;
  /** The earlier of the token's `exp` and the end of its trust, on the service's clock. */
  validUntilMs: number;
}

/**
 * Tokens whose signature and claims were verified, so a client sending the same token on every
 * request pays for the signature check once a minute instead of on every request.
 */
export class VerifiedTokens {
  /** In the order they were verified: every entry expires within a minute, so the oldest goes first. */
  private readonly verified = new Map<string, Verified>();

  /** The principal of a token verified earlier that is neither expired nor past its trust. */
  principalOf(token: string, nowMs: number): Principal | undefined {
    const entry = this.verified.get(token);
    if (entry === undefined) return undefined;
    if (nowMs < entry.validUntilMs) return entry.principal;
    this.verified.delete(token);
    return undefined;
  }

  remember(token: string, principal: Principal, expiresAtSeconds: number, nowMs: number): void {
    if (this.verified.size >= REMEMBERED_TOKENS) this.verified.delete(this.verified.keys().next().value as string);
    // One principal object serves every request with this token: nobody may change it.
    Object.freeze(principal.roles);
    this.verified.set(token, {
      principal: Object.freeze(principal),
      validUntilMs: Math.min(expiresAtSeconds * 1000, nowMs + VERIFIED_TOKEN_TRUST_MS),
    });
  }
}
