import { useEffect, useState } from 'preact/hooks';

/**
 * The supervisor dashboard's hash routes (the agent desk keeps `#/` and `#/conversations/<id>`):
 * `#/supervisor` Ongoing conversations, `#/supervisor/queues`, `#/supervisor/agents` the
 * capacity board, `#/supervisor/conversations/<id>` Ongoing conversations with that
 * conversation open. A principal with only the supervisor role gets the dashboard on any route.
 */
export type SupervisorScreen = 'ongoing' | 'queues' | 'agents';

export interface SupervisorRoute {
  screen: SupervisorScreen;
  conversationId?: string;
}

export const SUPERVISOR_HOME = '#/supervisor';

/** Whether the route is one of the dashboard's (for a principal who is also an agent). */
export const isSupervisorHash = (hash: string): boolean => hash === SUPERVISOR_HOME || hash.startsWith(`${SUPERVISOR_HOME}/`);

export const parseSupervisorRoute = (hash: string): SupervisorRoute => {
  if (hash === `${SUPERVISOR_HOME}/queues`) return { screen: 'queues' };
  if (hash === `${SUPERVISOR_HOME}/agents`) return { screen: 'agents' };
  const match = /^#(?:\/supervisor)?\/conversations\/([^/?#&]+)$/.exec(hash);
  if (match) {
    try {
      return { screen: 'ongoing', conversationId: decodeURIComponent(match[1]) };
    } catch {
      return { screen: 'ongoing' };
    }
  }
  return { screen: 'ongoing' };
};

export const supervisorHref = (screen: SupervisorScreen): string =>
  screen === 'ongoing' ? SUPERVISOR_HOME : `${SUPERVISOR_HOME}/${screen}`;

export const supervisorConversationHref = (id: string): string => `${SUPERVISOR_HOME}/conversations/${encodeURIComponent(id)}`;

/** The address's fragment, following its changes. */
export const useHash = (): string => {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const changed = () => setHash(window.location.hash);
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return hash;
};
