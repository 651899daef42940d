/**
 * OpenID Connect sign-in at the identity provider, through oidc-client-ts: authorization code
 * with PKCE (S256) for a public client (no secret). Loaded on demand (a dynamic import from
 * provider-sign-in.tsx): a desk signed in by login links never downloads it.
 *
 * - The authorization response comes back in the URL fragment (response_mode=fragment) when
 *   the provider offers it, so the code never reaches a server in a URL; otherwise in the query
 *   string, which the service's access log never writes (it logs the route pattern only).
 * - The library keeps nothing of the user (an in-memory store): the desk keeps the access token
 *   as it keeps a login link's, in this tab's sessionStorage, and the id token only to end the
 *   provider's session at sign-out. The PKCE verifier and state wait in sessionStorage (this
 *   tab) between leaving for the provider and coming back.
 * - The access token goes only into Authorization headers (api.tsx); no refresh token is asked
 *   for: when the access token expires, the service answers 401 and the desk asks to sign in again.
 */
import { InMemoryWebStorage, UserManager, WebStorageStateStore, type OidcMetadata } from 'oidc-client-ts';
import type { OidcSettings } from './provider-sign-in';

/** Where the provider sends the browser back: the desk's own page (its routes are in the fragment). */
const deskUrl = (): string => `${window.location.origin}${window.location.pathname}`;

const managers = new Map<string, Promise<UserManager>>();

/**
 * A UserManager for the configured provider, its discovery document read once: fragment
 * responses when `response_modes_supported` lists them (or leaves them out: the default is
 * query and fragment), query otherwise.
 */
const managerFor = (oidc: OidcSettings): Promise<UserManager> => {
  const key = JSON.stringify(oidc);
  let manager = managers.get(key);
  if (!manager) {
    manager = (async () => {
      const settings = {
        authority: oidc.issuer,
        client_id: oidc.clientId,
        redirect_uri: deskUrl(),
        post_logout_redirect_uri: deskUrl(),
        response_type: 'code',
        scope: oidc.scopes.join(' '),
        ...(oidc.resource ? { resource: oidc.resource } : {}),
        loadUserInfo: false,
        automaticSilentRenew: false,
        monitorSession: false,
        includeIdTokenInSilentRenew: false,
        userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
        stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
      };
      const discovery = new UserManager(settings);
      const metadata: Partial<OidcMetadata> = await discovery.metadataService.getMetadata();
      const modes = metadata.response_modes_supported;
      const fragment = modes === undefined || modes.includes('fragment');
      return new UserManager({ ...settings, metadata, response_mode: fragment ? 'fragment' : 'query' });
    })();
    manager.catch(() => managers.delete(key));
    managers.set(key, manager);
  }
  return manager;
};

/** Leaves for the provider's sign-in (the page unloads). */
export const startSignIn = async (oidc: OidcSettings): Promise<void> => {
  const manager = await managerFor(oidc);
  await manager.signinRedirect();
};

export interface ProviderTokens {
  accessToken: string;
  idToken?: string;
}

/** Redeems the authorization response (the URL the provider sent back) for the tokens. */
export const finishSignIn = async (oidc: OidcSettings, url: string): Promise<ProviderTokens> => {
  const manager = await managerFor(oidc);
  const user = await manager.signinRedirectCallback(url);
  await manager.removeUser();
  return { accessToken: user.access_token, idToken: user.id_token };
};

/**
 * Ends the provider's session too when it offers end_session_endpoint (the page leaves for it
 * and comes back to the desk); answers false when it does not (only the desk's session ends).
 */
export const startSignOut = async (oidc: OidcSettings, idToken: string | undefined): Promise<boolean> => {
  const manager = await managerFor(oidc);
  const metadata = await manager.metadataService.getMetadata();
  if (!metadata.end_session_endpoint) return false;
  await manager.signoutRedirect({ id_token_hint: idToken, post_logout_redirect_uri: deskUrl() });
  return true;
};
