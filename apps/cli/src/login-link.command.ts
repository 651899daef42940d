import { loadConfig } from '@lib/platform';
import { issueEmbeddedToken, type TokenOptions } from './token.command';

/** As given on the command line (main.ts), nothing defaulted yet. */
export interface LoginLinkOptions extends TokenOptions {
  baseUrl?: string;
}

/**
 * Where the desk is: an http(s) URL with no credentials, query or fragment of its own. The
 * desk is served at the service's root; a path (behind a proxy that serves it elsewhere) is
 * kept, ending with "/".
 */
export const deskBaseUrl = (text: string): URL => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`--base-url must be an http or https URL such as http://127.0.0.1:3000, got ${text}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`--base-url must be http or https, got ${url.protocol}`);
  if (url.username !== '' || url.password !== '') throw new Error('--base-url must not carry a user name or password');
  if (url.search !== '' || url.hash !== '' || text.includes('#') || text.includes('?'))
    throw new Error('--base-url must have no query and no fragment: the link puts the token in the fragment');
  if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`;
  return url;
};

/**
 * Prints one line: a link to the desk that signs the principal in. The token (issued exactly
 * as `token` issues it) travels in the URL fragment, which browsers never send to the server;
 * the desk moves it into the tab's session storage and out of the address bar at once.
 */
export const loginLinkCommand = async (options: LoginLinkOptions): Promise<void> => {
  const config = loadConfig();
  const base = deskBaseUrl(options.baseUrl ?? `http://localhost:${config.port}`);
  const token = await issueEmbeddedToken(options, config);
  process.stdout.write(`${base.toString()}#token=${encodeURIComponent(token)}\n`);
};
