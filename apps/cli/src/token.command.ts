import { ENTITY_ID_PATTERN } from '@lib/domain';
import { ROLES, isRole, issueToken, loadConfig, parseTokenTtl, readSigningKey, type AppConfig, type Role } from '@lib/platform';

/** As given on the command line (main.ts), nothing defaulted yet. */
export interface TokenOptions {
  sub?: string;
  roles?: string;
  ttl?: string;
}

/**
 * A bearer token signed by the service's embedded key in DATA_DIR, for the principal the
 * options name (shared by `token` and `login-link`). Refuses when the service trusts an
 * identity provider instead (AUTH_JWKS_URL): its tokens come from there.
 */
export const issueEmbeddedToken = async (options: TokenOptions, config: AppConfig = loadConfig()): Promise<string> => {
  if (config.authJwksUrl)
    throw new Error('AUTH_JWKS_URL is set: the service trusts your identity provider, not the embedded key; get tokens from the provider');
  if (options.sub === undefined || !ENTITY_ID_PATTERN.test(options.sub)) {
    throw new Error("--sub is required: the principal's id (an agent's id for the agent role), 1-64 letters, digits, _ . : -");
  }
  const roles = (options.roles ?? '')
    .split(',')
    .map((role) => role.trim())
    .filter((role) => role !== '');
  const unknown = roles.filter((role) => !isRole(role));
  if (roles.length === 0 || unknown.length > 0)
    throw new Error(
      `--roles must list roles among ${ROLES.join(', ')}, comma-separated${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`,
    );
  const key = await readSigningKey(config.dataDir);
  if (!key)
    throw new Error(`No signing key in ${config.dataDir}: start the service once with this DATA_DIR (it creates the key), or set DATA_DIR`);
  return issueToken(key, {
    sub: options.sub,
    roles: roles as Role[],
    ttlMs: parseTokenTtl(options.ttl ?? '8h'),
    issuer: config.authIssuer,
    audience: config.authAudience,
  });
};

/** Prints one such token and nothing else on stdout (so `TOKEN=$(npm run -s cli -- token ...)` works). */
export const tokenCommand = async (options: TokenOptions): Promise<void> => {
  process.stdout.write(`${await issueEmbeddedToken(options)}\n`);
};
