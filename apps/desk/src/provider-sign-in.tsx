/**
 * Sign-in at an identity provider (OpenID Connect), the production path beside login links:
 * whether the service configures it (GET /api/desk/config), taking the provider's answer out
 * of the address bar at once, and the steps of oidc.tsx, loaded only when one is taken.
 */
import { rememberedRoute, sessionOf, setRolesClaim } from './session';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  scopes: string[];
  resource?: string;
}

export interface DeskConfig {
  /** null: the service signs in with login links of its embedded issuer only. */
  oidc: OidcSettings | null;
  rolesClaim: string;
}

let config: DeskConfig = { oidc: null, rolesClaim: 'roles' };

/** How this desk signs in (read once at start, before the first screen). */
export const deskConfig = (): DeskConfig => config;

/**
 * Reads GET /api/desk/config and applies it (where the roles are in a token). When it cannot be
 * read, the desk offers login links, which is all a service without that route has.
 */
export const loadDeskConfig = async (): Promise<DeskConfig> => {
  try {
    const response = await fetch('api/desk/config', { headers: { accept: 'application/json' }, cache: 'no-store' });
    if (response.ok) {
      const body = (await response.json()) as Partial<DeskConfig>;
      config = { oidc: body.oidc ?? null, rolesClaim: typeof body.rolesClaim === 'string' ? body.rolesClaim : 'roles' };
    }
  } catch {
    // Not reachable now: login links still work, and an API call will say what is wrong.
  }
  setRolesClaim(config.rolesClaim);
  return config;
};

const ID_TOKEN_KEY = 'desk.oidc.idToken';
/** Set while the tab is away at the provider's sign-out, so the desk knows why it is back. */
const SIGNING_OUT_KEY = 'desk.oidc.signingOut';

/** Something to tell on the sign-in screen about the provider (a failed sign-in, a completed sign-out). */
export interface ProviderNotice {
  kind: 'error' | 'signed-out';
  message: string;
}

let notice: ProviderNotice | undefined;

export const providerNotice = (): ProviderNotice | undefined => notice;

const isAuthorizationResponse = (params: URLSearchParams): boolean => params.has('state') && (params.has('code') || params.has('error'));

/**
 * The provider's authorization response (`#code=...&state=...`, or `?code=...` from a provider
 * without fragment responses) taken out of the address bar at once, replacing the history entry
 * with the route this tab was on before it left. Answers the URL as it came, to be redeemed.
 */
export const takeAuthorizationResponse = (): string | undefined => {
  const { hash, search, pathname, href } = window.location;
  const inFragment = isAuthorizationResponse(new URLSearchParams(hash.slice(1)));
  const inQuery = !inFragment && isAuthorizationResponse(new URLSearchParams(search));
  if (!inFragment && !inQuery) return undefined;
  history.replaceState(null, '', `${pathname}${inQuery ? '' : search}${rememberedRoute()}`);
  return href;
};

/** Back from the provider's sign-out: the state it echoes leaves the address bar too. */
const takeSignOutReturn = (): boolean => {
  if (sessionStorage.getItem(SIGNING_OUT_KEY) === null) return false;
  sessionStorage.removeItem(SIGNING_OUT_KEY);
  const { search, pathname } = window.location;
  if (search !== '') history.replaceState(null, '', `${pathname}${rememberedRoute()}`);
  return true;
};

const describe = (error: unknown): string => (error instanceof Error && error.message ? error.message : String(error));

/**
 * At start: redeems an authorization response for the access token (the desk's session then
 * starts with it, as with a login link's token), or notes a return from the provider's sign-out.
 */
export const completeProviderSignIn = async (responseUrl: string | undefined): Promise<string | undefined> => {
  if (takeSignOutReturn()) notice = { kind: 'signed-out', message: 'You signed out at the identity provider too.' };
  if (responseUrl === undefined) return undefined;
  const oidc = config.oidc;
  if (!oidc) {
    notice = { kind: 'error', message: 'The desk came back from an identity provider, but the service no longer names one.' };
    return undefined;
  }
  try {
    const { finishSignIn } = await import('./oidc');
    const tokens = await finishSignIn(oidc, responseUrl);
    if (!sessionOf(tokens.accessToken)) {
      notice = {
        kind: 'error',
        message: `${oidc.issuer} signed you in, but its access token is not a JWT naming you (sub), so the desk cannot use it.`,
      };
      return undefined;
    }
    if (tokens.idToken) sessionStorage.setItem(ID_TOKEN_KEY, tokens.idToken);
    else sessionStorage.removeItem(ID_TOKEN_KEY);
    return tokens.accessToken;
  } catch (error) {
    notice = { kind: 'error', message: `Signing in at ${oidc.issuer} did not complete: ${describe(error)}. Try again.` };
    return undefined;
  }
};

/** Leaves for the provider's sign-in; comes back to the route this tab is on. Throws what went wrong (provider unreachable). */
export const signInWithProvider = async (oidc: OidcSettings): Promise<void> => {
  const { startSignIn } = await import('./oidc');
  await startSignIn(oidc);
};

/**
 * After the desk's own sign-out (its token already forgotten): ends the provider's session too
 * when this tab signed in there and the provider offers end_session, leaving the page for it.
 */
export const endProviderSession = async (): Promise<void> => {
  const oidc = config.oidc;
  const idToken = sessionStorage.getItem(ID_TOKEN_KEY);
  sessionStorage.removeItem(ID_TOKEN_KEY);
  if (!oidc || idToken === null) return;
  try {
    sessionStorage.setItem(SIGNING_OUT_KEY, '1');
    const { startSignOut } = await import('./oidc');
    if (!(await startSignOut(oidc, idToken))) sessionStorage.removeItem(SIGNING_OUT_KEY);
  } catch {
    // The desk's session is over either way; the provider's may outlive it.
    sessionStorage.removeItem(SIGNING_OUT_KEY);
  }
};
