import { SignJWT } from 'jose';
import { EMBEDDED_AUDIENCE, EMBEDDED_ISSUER } from './auth-config';
import type { Role } from './principal';
import { EMBEDDED_ALGORITHM, type SigningKey } from './signing-key';

export interface TokenRequest {
  sub: string;
  roles: readonly Role[];
  ttlMs: number;
  /** Defaults to the embedded issuer and audience. */
  issuer?: string;
  audience?: string;
  now?: Date;
}

/** A token signed by the embedded key: what `npm run cli -- token` prints. */
export const issueToken = (key: SigningKey, request: TokenRequest): Promise<string> => {
  const issuedAt = Math.floor((request.now ?? new Date()).getTime() / 1000);
  return new SignJWT({ roles: [...request.roles] })
    .setProtectedHeader({ alg: EMBEDDED_ALGORITHM, kid: key.kid, typ: 'JWT' })
    .setSubject(request.sub)
    .setIssuer(request.issuer ?? EMBEDDED_ISSUER)
    .setAudience(request.audience ?? EMBEDDED_AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + Math.ceil(request.ttlMs / 1000))
    .sign(key.privateKey);
};
