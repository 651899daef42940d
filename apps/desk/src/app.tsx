import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { createApi } from './api';
import { AgentDesk } from './desk';
import { endProviderSession } from './provider-sign-in';
import { HOME } from './routes';
import { forgetToken, rememberRoute, sessionOf, storedSession, storeToken, takeTokenFromFragment, type Session } from './session';
import { SignIn, type SignInReason } from './sign-in';
import { SupervisorDashboard } from './supervisor';
import { isSupervisorHash, SUPERVISOR_HOME, useHash } from './supervisor-routes';

/**
 * Who is signed in, and what they see: the sign-in screen, or the desk of their role (the agent
 * desk for an agent, the supervisor dashboard for a supervisor; one with both roles switches
 * between them, the dashboard's routes being `#/supervisor...`). When the
 * service stops accepting the token (401) the sign-in screen covers the desk, which stays as it
 * was (its lists, the open conversation, the route) until the person signs in again.
 */
export const App = ({ linkedToken }: { linkedToken?: string }) => {
  const [session, setSession] = useState<Session | undefined>(() => {
    if (linkedToken === undefined) return storedSession();
    const linked = sessionOf(linkedToken);
    if (linked) storeToken(linkedToken);
    return linked ?? storedSession();
  });
  const [reason, setReason] = useState<SignInReason>(linkedToken !== undefined && !sessionOf(linkedToken) ? 'bad-link' : 'not-signed-in');
  const [ended, setEnded] = useState(false);
  const hash = useHash();
  const current = useRef<{ session?: Session; ended: boolean }>({ session, ended });
  current.current = { session, ended };

  const api = useMemo(
    () =>
      createApi(
        () => (current.current.ended ? undefined : current.current.session?.token),
        () => {
          // The token no longer holds: it is of no use kept.
          forgetToken();
          setEnded(true);
        },
      ),
    [],
  );

  const signIn = useCallback((token: string): string | undefined => {
    const next = sessionOf(token);
    if (!next) return 'That is not a sign-in token: paste the whole link the CLI printed.';
    storeToken(token);
    setSession(next);
    setEnded(false);
    return undefined;
  }, []);

  const signOut = useCallback(() => {
    forgetToken();
    setSession(undefined);
    setEnded(false);
    setReason('signed-out');
    history.replaceState(null, '', `${window.location.pathname}${window.location.search}${HOME}`);
    rememberRoute(HOME);
    void endProviderSession();
  }, []);

  // A login link opened in this tab while the desk is open only changes the fragment: take it.
  useEffect(() => {
    rememberRoute(window.location.hash);
    const changed = () => {
      const token = takeTokenFromFragment();
      if (token === undefined) rememberRoute(window.location.hash);
      else if (signIn(token) !== undefined) setReason('bad-link');
      // replaceState fires no hashchange: let the route follow.
      if (token !== undefined) window.dispatchEvent(new HashChangeEvent('hashchange'));
    };
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, [signIn]);

  if (!session) return <SignIn reason={reason} onToken={signIn} />;
  const isAgent = session.roles.includes('agent');
  const isSupervisor = session.roles.includes('supervisor');
  const view = isSupervisor && (!isAgent || isSupervisorHash(hash)) ? 'supervisor' : isAgent ? 'agent' : 'none';
  return (
    <>
      {ended && <SignIn reason="ended" onToken={signIn} />}
      <div class="desk-root" hidden={ended}>
        {isAgent && isSupervisor && (
          <nav class="switch" aria-label="Desks">
            <a href={HOME} aria-current={view === 'agent' ? 'page' : undefined}>
              Agent desk
            </a>
            <a href={SUPERVISOR_HOME} aria-current={view === 'supervisor' ? 'page' : undefined}>
              Supervisor dashboard
            </a>
          </nav>
        )}
        {view === 'agent' && <AgentDesk key={session.sub} api={api} agentId={session.sub} paused={ended} onSignOut={signOut} />}
        {view === 'supervisor' && (
          <SupervisorDashboard key={session.sub} api={api} supervisorId={session.sub} paused={ended} onSignOut={signOut} />
        )}
        {view === 'none' && (
          <main class="sign-in" aria-labelledby="no-desk">
            <h1 id="no-desk">No desk for {session.sub}</h1>
            <p>
              This sign-in has the roles {session.roles.join(', ') || '(none)'}. The agent desk needs the role agent, the supervisor
              dashboard the role supervisor.
            </p>
            <button type="button" onClick={signOut}>
              Sign out
            </button>
          </main>
        )}
      </div>
    </>
  );
};
