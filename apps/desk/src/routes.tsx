import { useEffect, useState } from 'preact/hooks';

/**
 * Hash routes, so the service serves one page at `/` and no path of the desk ever reaches it:
 * `#/` the desk, `#/conversations/<id>` the desk with that conversation open.
 */
export interface Route {
  conversationId?: string;
}

export const parseRoute = (hash: string): Route => {
  const match = /^#\/conversations\/([^/?#&]+)$/.exec(hash);
  if (!match) return {};
  try {
    return { conversationId: decodeURIComponent(match[1]) };
  } catch {
    return {};
  }
};

export const conversationHref = (id: string): string => `#/conversations/${encodeURIComponent(id)}`;
export const HOME = '#/';

export const useRoute = (): Route => {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const changed = () => setHash(window.location.hash);
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return parseRoute(hash);
};
