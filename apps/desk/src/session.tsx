/**
 * The signed-in principal: a bearer token kept in this tab's sessionStorage (gone when the tab
 * closes, never shared with other tabs), read from a login link's fragment (`#token=...`) and
 * moved out of the address bar at once. Browsers never send a fragment to the server, so the
 * token reaches the service only as the Authorization header of API calls.
 */

const TOKEN_KEY = 'desk.token';
/** The hash route to come back to when a login link is opened in the same tab (a new sign-in). */
const ROUTE_KEY = 'desk.route';

export interface Session {
  token: string;
  sub: string;
  roles: string[];
  /** Seconds since the epoch (the token's exp), when it has one. */
  expiresAt?: number;
}

const decodeBase64Url = (text: string): string => {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
};

/** Where the roles are in a token: the service's AUTH_ROLES_CLAIM (GET /api/desk/config), a dotted path allowed. */
let rolesClaim = 'roles';

export const setRolesClaim = (path: string): void => {
  rolesClaim = path;
};

const claimAt = (claims: Record<string, unknown>, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>(
      (value, part) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined),
      claims,
    );

/**
 * Who the token names, for the desk to know whose work to show. Not a check: the service
 * verifies the token on every call and answers 401 when it does not hold.
 */
export const sessionOf = (token: string): Session | undefined => {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(decodeBase64Url(parts[1])) as { sub?: unknown; exp?: unknown } & Record<string, unknown>;
    if (typeof claims.sub !== 'string' || claims.sub === '') return undefined;
    const claimed = claimAt(claims, rolesClaim);
    const roles = Array.isArray(claimed) ? claimed.filter((role): role is string => typeof role === 'string') : [];
    return { token, sub: claims.sub, roles, expiresAt: typeof claims.exp === 'number' ? claims.exp : undefined };
  } catch {
    return undefined;
  }
};

/** A token from what a person pastes: a whole login link, its fragment, or the token alone. */
export const tokenFromPaste = (text: string): string => {
  const trimmed = text.trim();
  const at = trimmed.indexOf('token=');
  const token = at === -1 ? trimmed : trimmed.slice(at + 'token='.length).split('&')[0];
  try {
    return decodeURIComponent(token);
  } catch {
    return token;
  }
};

/**
 * Takes the token out of the address bar's fragment, if there is one, replacing the history
 * entry (so neither the address bar nor Back shows it) with the route this tab was on, or the
 * desk's start. Answers the token.
 */
export const takeTokenFromFragment = (): string | undefined => {
  const fragment = window.location.hash.slice(1);
  if (!/(^|&)token=/.test(fragment)) return undefined;
  const token = new URLSearchParams(fragment).get('token') ?? '';
  const route = sessionStorage.getItem(ROUTE_KEY) ?? '#/';
  history.replaceState(null, '', `${window.location.pathname}${window.location.search}${route}`);
  return token;
};

export const storedSession = (): Session | undefined => {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token === null ? undefined : sessionOf(token);
};

export const storeToken = (token: string): void => sessionStorage.setItem(TOKEN_KEY, token);

export const forgetToken = (): void => sessionStorage.removeItem(TOKEN_KEY);

/** Remembers the route (a hash without any token) so a new sign-in in this tab comes back to it. */
export const rememberRoute = (hash: string): void => {
  if (!hash.includes('token=')) sessionStorage.setItem(ROUTE_KEY, hash === '' ? '#/' : hash);
};

/** The route to come back to after a sign-in that left the page (a login link, the identity provider). */
export const rememberedRoute = (): string => sessionStorage.getItem(ROUTE_KEY) ?? '#/';
