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
  /**
   * The agent desk's OpenID Connect sign-in (authorization code with PKCE against authIssuer),
   * when DESK_OIDC_CLIENT_ID is set (it needs AUTH_JWKS_URL); absent: the desk signs in with
   * login links of the embedded issuer only.
   */
  deskOidc?: DeskOidcConfig;
}

export interface DeskOidcConfig {
  /** The desk's public client id at the identity provider (no secret: a browser keeps none). */
  clientId: string;
  /** Scopes the desk asks for, `openid` among them. */
  scopes: string[];
  /** RFC 8707 resource indicator sent with the authorization and token requests, when the provider wants one to issue a token for this API. */
  resource?: string;
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
  DESK_OIDC_CLIENT_ID: '',
  DESK_OIDC_SCOPES: 'openid profile',
  DESK_OIDC_RESOURCE: '',
} as const;

type Key = keyof typeof AUTH_CONFIG_DEFAULTS;

const { read, wholeNumber, url } = settingsReader(AUTH_CONFIG_DEFAULTS);

const perMinute = (env: Env, key: Key): number => wholeNumber(env, key, 1, 1_000_000);

const httpUrl = (env: Env, key: Key): string | undefined =>
  url(env, key, ['https:', 'http:'], 'https://idp.example.com/realms/acme/protocol/openid-connect/certs');

/** A client id as providers issue them (a UUID, a name, a URL): visible characters, no spaces. */
const CLIENT_ID = /^[\x21-\x7e]{1,255}$/;
/** RFC 6749 scope tokens. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

const readDeskOidc = (env: Env, authJwksUrl: string | undefined, issuer: string): DeskOidcConfig | undefined => {
  const clientId = read(env, 'DESK_OIDC_CLIENT_ID');
  const scopes = read(env, 'DESK_OIDC_SCOPES')
    .split(/\s+/)
    .filter((scope) => scope !== '');
  const resourceText = read(env, 'DESK_OIDC_RESOURCE');
  if (clientId === '') {
    // DESK_OIDC_SCOPES has a default: only a value set by hand is a mistake here.
    const orphan = env.DESK_OIDC_SCOPES ? 'DESK_OIDC_SCOPES' : resourceText !== '' ? 'DESK_OIDC_RESOURCE' : undefined;
    if (orphan) throw new ConfigError(orphan, 'is set but DESK_OIDC_CLIENT_ID is not: set the client id too, or unset it');
    return undefined;
  }
  if (!authJwksUrl) {
    throw new ConfigError(
      'DESK_OIDC_CLIENT_ID',
      "needs AUTH_JWKS_URL and AUTH_ISSUER: the desk signs in at the identity provider named by AUTH_ISSUER, and the service must trust that provider's tokens",
    );
  }
  // The desk finds the provider's endpoints at <issuer>/.well-known/openid-configuration.
  let issuerUrl: URL | undefined;
  try {
    issuerUrl = new URL(issuer);
  } catch {
    issuerUrl = undefined;
  }
  const loopback = issuerUrl !== undefined && ['localhost', '127.0.0.1', '[::1]'].includes(issuerUrl.hostname);
  if (
    !issuerUrl ||
    !(issuerUrl.protocol === 'https:' || (issuerUrl.protocol === 'http:' && loopback)) ||
    issuerUrl.search ||
    issuerUrl.hash
  ) {
    throw new ConfigError(
      'AUTH_ISSUER',
      `"${issuer}" is not an https:// issuer URL (http:// only on localhost) without query or fragment, which DESK_OIDC_CLIENT_ID needs for OpenID Connect discovery`,
    );
  }
  if (!CLIENT_ID.test(clientId)) throw new ConfigError('DESK_OIDC_CLIENT_ID', 'must be 1 to 255 visible characters without spaces');
  const badScope = scopes.find((scope) => !SCOPE_TOKEN.test(scope));
  if (badScope !== undefined) throw new ConfigError('DESK_OIDC_SCOPES', `"${badScope}" is not a scope (visible characters but " and \\)`);
  if (!scopes.includes('openid')) throw new ConfigError('DESK_OIDC_SCOPES', 'must include openid (space-separated, e.g. "openid profile")');
  let resource: string | undefined;
  if (resourceText !== '') {
    let parsed: URL | undefined;
    try {
      parsed = new URL(resourceText);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.hash !== '')
      throw new ConfigError('DESK_OIDC_RESOURCE', 'must be an absolute URI without a fragment (RFC 8707), e.g. https://api.example.com');
    resource = resourceText;
  }
  return { clientId, scopes: [...new Set(scopes)], ...(resource ? { resource } : {}) };
};

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
    deskOidc: readDeskOidc(env, authJwksUrl, issuer),
  };
};

/** `8h`, `30m`, `90s`: a token's lifetime for the CLI (at most 30 days). */
export const parseTokenTtl = (text: string): number => {
  const ms = parseDuration(text);
  if (ms === undefined || ms < 1000 || ms > 30 * 24 * 3600 * 1000)
    throw new Error(`--ttl must be a duration from 1s to 30d, such as 8h; got ${text}`);
  return ms;
};
