import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type KeyLike } from 'jose';
import { ENTITY_ID_PATTERN } from '@lib/domain';
import { type AuthConfig, isRole, type Principal, EMBEDDED_ALGORITHM, type SigningKey } from '@lib/platform';
import { AuthError } from './auth.errors';
import { VerifiedTokens } from './verified-tokens';

/**
 * Asymmetric algorithms accepted from an identity provider, listed explicitly: never `none`,
 * never an HS* (a public key used as an HMAC secret would let anyone sign).
 */
export const ACCEPTED_IDP_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** A key set fetched again on an unknown `kid`, at most once per this (rotation without hammering the IdP). */
const JWKS_REFETCH_COOLDOWN_MS = 30_000;
const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;

const invalid = (reason: string) => new AuthError('AUTH.INVALID_TOKEN', `The bearer token was refused: ${reason}`, { reason });

/** Why jose refused a token, in words a caller can act on (never the token itself). */
const reasonOf = (error: unknown): string => {
  if (error instanceof errors.JWTExpired) return 'it has expired; get a new one';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return 'it was issued by an issuer this service does not accept';
    if (error.claim === 'aud') return 'it is meant for another audience';
    if (error.claim === 'nbf') return 'it is not valid yet';
    return `its ${error.claim} claim is not acceptable`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'its signing algorithm is not accepted';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  if (error instanceof errors.JWKSNoMatchingKey)
    return 'it is signed with a key the identity provider does not publish (a newly published key is picked up within 30 s)';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid || error instanceof errors.JOSENotSupported) {
    return 'it is not a well-formed signed JWT';
  }
  return 'it could not be verified';
};

/**
 * The identity provider's keys could not be fetched (timeout, refused connection, an error
 * answer, not a key set): the token may be fine, so this is the service's 503, not a 401.
 */
const providerUnavailable = (error: unknown): boolean =>
  error instanceof errors.JWKSTimeout ||
  error instanceof errors.JWKSInvalid ||
  (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC') ||
  (error instanceof TypeError &&
    /fetch|network|ECONNREFUSED|socket/i.test(`${error.message} ${String((error as { cause?: unknown }).cause ?? '')}`));

/** Reads a claim by name or dotted path (`realm_access.roles`). */
const claimAt = (payload: JWTPayload, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>(
      (value, part) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined),
      payload,
    );

/**
 * Verifies bearer tokens: the embedded key by default, the identity provider's JWKS in
 * production (and then only that). Gives the principal: `sub` and the roles this service knows.
 */
export class TokenVerifier {
  private readonly key: KeyLike | JWTVerifyGetKey;
  private readonly algorithms: string[];
  private readonly verifiedTokens = new VerifiedTokens();

  constructor(
    private readonly config: AuthConfig,
    embeddedKey: SigningKey | undefined,
    /** The service's clock: expiry is judged on it (tests move it). */
    private readonly now: () => Date = () => new Date(),
  ) {
    if (config.authJwksUrl) {
      this.key = createRemoteJWKSet(new URL(config.authJwksUrl), {
        cooldownDuration: JWKS_REFETCH_COOLDOWN_MS,
        cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
        timeoutDuration: 5_000,
      });
      this.algorithms = ACCEPTED_IDP_ALGORITHMS;
    } else {
      if (!embeddedKey) throw new Error('No embedded signing key and no AUTH_JWKS_URL: nothing to verify tokens with');
      this.key = embeddedKey.publicKey;
      this.algorithms = [EMBEDDED_ALGORITHM];
    }
  }

  private async verifyWith(token: string, key: KeyLike | JWTVerifyGetKey): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, key as KeyLike, {
      algorithms: this.algorithms,
      issuer: this.config.authIssuer,
      ...(this.config.authAudience ? { audience: this.config.authAudience } : {}),
      requiredClaims: ['sub', 'exp'],
      currentDate: this.now(),
    });
    return payload;
  }

  /** A token without `kid` that several published keys could verify: each is tried in turn (jose leaves that to the caller). */
  private async verifyWithEach(token: string, candidates: errors.JWKSMultipleMatchingKeys): Promise<JWTPayload> {
    let last: unknown = candidates;
    for await (const key of candidates as unknown as AsyncIterable<KeyLike>) {
      try {
        return await this.verifyWith(token, key);
      } catch (error) {
        last = error;
        if (!(error instanceof errors.JWSSignatureVerificationFailed)) break;
      }
    }
    throw invalid(reasonOf(last));
  }

  async verify(authorization: string | undefined): Promise<Principal> {
    if (authorization === undefined || authorization.trim() === '') {
      throw new AuthError(
        'AUTH.MISSING_CREDENTIALS',
        'Send Authorization: Bearer <token> (npm run cli -- token prints one for the embedded issuer)',
      );
    }
    const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(authorization);
    if (!match) throw invalid('the Authorization header must be "Bearer <token>"');
    const token = match[1];
    const nowMs = this.now().getTime();
    const known = this.verifiedTokens.principalOf(token, nowMs);
    if (known) return known;
    const principal = await this.principalOf(token);
    this.verifiedTokens.remember(token, principal.principal, principal.expiresAtSeconds, nowMs);
    return principal.principal;
  }

  /** Verifies the signature and claims: the principal, and when the token expires. */
  private async principalOf(token: string): Promise<{ principal: Principal; expiresAtSeconds: number }> {
    let payload: JWTPayload;
    try {
      payload = await this.verifyWith(token, this.key);
    } catch (error) {
      if (error instanceof errors.JWKSMultipleMatchingKeys) {
        payload = await this.verifyWithEach(token, error);
      } else if (providerUnavailable(error)) {
        throw new AuthError('AUTH.PROVIDER_UNAVAILABLE', "The identity provider's keys could not be fetched; retry shortly", {
          retryAfterSeconds: 5,
        });
      } else {
        throw invalid(reasonOf(error));
      }
    }
    const sub = payload.sub as string;
    // sub becomes the actor id in the audit trail (and an agent's id): it must be one the domain records.
    if (!ENTITY_ID_PATTERN.test(sub)) throw invalid('its sub claim is not an id this service can record (1-64 letters, digits, _ . : -)');
    const claimed = claimAt(payload, this.config.authRolesClaim);
    const roles = Array.isArray(claimed) ? [...new Set(claimed.filter(isRole))] : [];
    return { principal: { id: sub, roles }, expiresAtSeconds: payload.exp as number };
  }
}
