import { ConfigError } from '../config/config-error';
import { parseDuration } from '../config/duration';
import { settingsReader, type Env } from '../config/env-settings';

export interface AuthConfig {
  /** Production: the identity provider's key set; absent: the embedded signing key in DATA_DIR is trusted. */
  authJwksUrl?: string;
  /** Required `iss`: the IdP's issuer in production; the embedded issuer otherwise. */
  authIssuer: string;
  /** Required `aud`, when set (always set for embedded tokens). */
  authAudience?: string;
  /** Where the roles are in the token: a claim name, or a dotted path such as realm_access.roles (Keycloak). */
  authRolesClaim: string;
  /** Requests per principal per minute before 429. */
  rateLimitPerMinute: number;
  /** Failed authentications per client address per minute before 429. */
  authFailuresPerMinute: number;
  /** Origins allowed to call the API from a browser; empty: CORS off. */
  corsOrigins: string[];
}

/** The issuer and audience of tokens signed by the embedded key (`npm run cli -- token`). */
export const EMBEDDED_ISSUER = 'conversation-work-items';
export const EMBEDDED_AUDIENCE = 'conversation-work-items-api';

export const AUTH_CONFIG_DEFAULTS = {
  AUTH_JWKS_URL: '',
  AUTH_ISSUER: '',
  AUTH_AUDIENCE: '',
  AUTH_ROLES_CLAIM: 'roles',
  RATE_LIMIT_PER_MINUTE: '6000',
  AUTH_FAILURES_PER_MINUTE: '30',
  CORS_ORIGINS: '',
} as const;

type Key = keyof typeof AUTH_CONFIG_DEFAULTS;

const { read, wholeNumber, url } = settingsReader(AUTH_CONFIG_DEFAULTS);

const perMinute = (env: Env, key: Key): number => wholeNumber(env, key, 1, 1_000_000);

const httpUrl = (env: Env, key: Key): string | undefined =>
  url(env, key, ['https:', 'http:'], 'https://idp.example.com/realms/acme/protocol/openid-connect/certs');

export const readAuthConfig = (env: Env): AuthConfig => {
  const authJwksUrl = httpUrl(env, 'AUTH_JWKS_URL');
  const issuer = read(env, 'AUTH_ISSUER');
  if (authJwksUrl && issuer === '') {
    throw new ConfigError('AUTH_ISSUER', 'is required with AUTH_JWKS_URL: tokens are accepted only from the issuer named here');
  }
  const rolesClaim = read(env, 'AUTH_ROLES_CLAIM');
  if (!/^[A-Za-z0-9_:/.-]+$/.test(rolesClaim) || rolesClaim.split('.').some((part) => part === '')) {
    throw new ConfigError('AUTH_ROLES_CLAIM', `"${rolesClaim}" is not a claim name or a dotted path such as realm_access.roles`);
  }
  const audience = read(env, 'AUTH_AUDIENCE');
  return {
    authJwksUrl,
    authIssuer: authJwksUrl ? issuer : issuer || EMBEDDED_ISSUER,
    authAudience: authJwksUrl ? audience || undefined : audience || EMBEDDED_AUDIENCE,
    authRolesClaim: rolesClaim,
    rateLimitPerMinute: perMinute(env, 'RATE_LIMIT_PER_MINUTE'),
    authFailuresPerMinute: perMinute(env, 'AUTH_FAILURES_PER_MINUTE'),
    corsOrigins: read(env, 'CORS_ORIGINS')
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin !== ''),
  };
};

/** `8h`, `30m`, `90s`: a token's lifetime for the CLI (at most 30 days). */
export const parseTokenTtl = (text: string): number => {
  const ms = parseDuration(text);
  if (ms === undefined || ms < 1000 || ms > 30 * 24 * 3600 * 1000)
    throw new Error(`--ttl must be a duration from 1s to 30d, such as 8h; got ${text}`);
  return ms;
};
