/// <reference lib="dom" />
/**
 * The desk's OpenID Connect sign-in against a real provider: the `oidc-provider` package started
 * by test/support/oidc-provider.mjs on 127.0.0.1 (a public client with PKCE, a test account
 * with a password, JWT access tokens for the API's resource indicator carrying the account's
 * roles), the service trusting it (AUTH_ISSUER, AUTH_JWKS_URL, AUTH_AUDIENCE) and naming it to
 * the desk (DESK_OIDC_CLIENT_ID), and Debian's Chromium through playwright-core: "Sign in with
 * <issuer>", the provider's login and consent pages, back signed in with My work items loaded
 * through the API, an expired access token sending the agent through the provider again back to
 * where it was, sign-out ending the provider's session too. axe-core checks the sign-in screen.
 * Without Chromium the browser part says so in one line and is skipped (REQUIRE_CHROMIUM=1 fails
 * instead); the configuration route is checked either way.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CHROMIUM, chromiumInstalled, launchChromium, seriousAxeViolations } from './support/desk-browser';
import { startDeskApp, type DeskApp } from './support/desk-app';
import { documentedAnswers } from './support/documented-answers';
import { startApp } from './support/start-app';

const CLIENT_ID = 'agent-desk';
const RESOURCE = 'https://work-items.test/api';
const AGENT = { sub: 'a-oidc-1', password: 'correct horse battery staple', name: 'Avery Agent' };
const PROVISIONER_SECRET = 'provisioner-secret-for-tests-only-0123456789';
const HOUR = 3_600_000;

const browserAvailable = chromiumInstalled();
if (!browserAvailable && process.env.REQUIRE_CHROMIUM !== '1') {
  console.warn(`Desk OpenID Connect browser suite skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, as .ci/run does)`);
}
const describeInBrowser = browserAvailable || process.env.REQUIRE_CHROMIUM === '1' ? describe : describe.skip;

/** The provider's process: its issuer once it listens, then told the desk's page (its client's redirect URI). */
interface LocalProvider {
  issuer: string;
  jwksUri: string;
  /** Registers the desk's page as the client's redirect URI and waits until the provider serves. */
  serve(redirectUri: string): Promise<void>;
  /** An access token for the API from the provisioner's client credentials (roles admin, channel). */
  provisionerToken(): Promise<string>;
  close(): Promise<void>;
}

const startProvider = async (): Promise<LocalProvider> => {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [join(__dirname, 'support', 'oidc-provider.mjs')], {
    env: {
      ...process.env,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_RESOURCE: RESOURCE,
      OIDC_ACCOUNTS: JSON.stringify({ [AGENT.sub]: { password: AGENT.password, name: AGENT.name, roles: ['agent'] } }),
      OIDC_PROVISIONER_SECRET: PROVISIONER_SECRET,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout });
  const pending: Array<(line: string) => void> = [];
  lines.on('line', (line) => pending.shift()?.(line));
  const nextLine = (what: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the OIDC provider did not say ${what} within 20 s: ${stderr}`)), 20_000);
      const exited = (code: number | null) => reject(new Error(`the OIDC provider exited (${code}): ${stderr}`));
      child.once('exit', exited);
      pending.push((line) => {
        clearTimeout(timer);
        child.off('exit', exited);
        resolve(JSON.parse(line) as Record<string, unknown>);
      });
    });
  const listening = await nextLine('where it listens');
  const issuer = listening.issuer as string;
  return {
    issuer,
    jwksUri: listening.jwksUri as string,
    serve: async (redirectUri) => {
      const ready = nextLine('that it is ready');
      child.stdin.write(`${redirectUri}\n`);
      expect(await ready).toEqual({ ready: true });
    },
    provisionerToken: async () => {
      const answer = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: 'provisioner',
          client_secret: PROVISIONER_SECRET,
          resource: RESOURCE,
          scope: 'work-items',
        }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await answer.json()) as { access_token?: string };
      if (!answer.ok || !body.access_token) throw new Error(`client credentials refused: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
};

const claimsOf = (jwt: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;

describe("the desk's sign-in configuration (GET /api/desk/config)", () => {
  let provider: LocalProvider;
  let d: DeskApp;

  beforeAll(async () => {
    provider = await startProvider();
    d = await startDeskApp({
      env: {
        AUTH_JWKS_URL: provider.jwksUri,
        AUTH_ISSUER: provider.issuer,
        AUTH_AUDIENCE: RESOURCE,
        DESK_OIDC_CLIENT_ID: CLIENT_ID,
        DESK_OIDC_SCOPES: 'openid profile work-items',
        DESK_OIDC_RESOURCE: RESOURCE,
      },
    });
  }, 120_000);

  afterAll(async () => {
    await d?.close();
    await provider?.close();
  });

  it('says null without an identity provider (login links), as its OpenAPI document states', async () => {
    // startApp's harness checks every answer against the OpenAPI document.
    const t = await startApp({ provision: 'none' });
    try {
      const answer = await t.get('/api/desk/config', { authorization: '' });
      expect({ status: answer.statusCode, body: answer.body }).toEqual({ status: 200, body: { oidc: null, rolesClaim: 'roles' } });
    } finally {
      await t.close();
    }
  });

  it('names the identity provider, the public client and its scopes, without credentials', async () => {
    const answer = await fetch(`${d.base}/api/desk/config`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-cache');
    const text = await answer.text();
    const headers: Record<string, string> = {};
    answer.headers.forEach((value, name) => (headers[name] = value));
    // As its OpenAPI document states it.
    documentedAnswers(await (await fetch(`${d.base}/api/docs-json`)).text()).check('GET', '/api/desk/config', {
      statusCode: answer.status,
      headers,
      text,
    });
    expect(JSON.parse(text)).toEqual({
      oidc: { issuer: provider.issuer, clientId: CLIENT_ID, scopes: ['openid', 'profile', 'work-items'], resource: RESOURCE },
      rolesClaim: 'roles',
    });
  });

  it("lets the desk's page reach the provider (CSP connect-src) and nothing else", async () => {
    const csp = (await fetch(`${d.base}/`)).headers.get('content-security-policy') ?? '';
    expect(csp).toContain(`connect-src 'self' ${provider.issuer}`);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
  });
});

describeInBrowser('OpenID Connect sign-in to the desk in Chromium', () => {
  let provider: LocalProvider;
  let d: DeskApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const browserRequests: Array<{ url: string; authorization?: string }> = [];

  const expectAccessible = async (screen: string) => {
    expect({ screen, violations: await seriousAxeViolations(page) }).toEqual({ screen, violations: [] });
  };
  const signInButton = () => page.getByRole('button', { name: `Sign in with ${provider.issuer}` });

  beforeAll(async () => {
    browser = await launchChromium();
    provider = await startProvider();
    d = await startDeskApp({
      env: {
        AUTH_JWKS_URL: provider.jwksUri,
        AUTH_ISSUER: provider.issuer,
        AUTH_AUDIENCE: RESOURCE,
        DESK_OIDC_CLIENT_ID: CLIENT_ID,
        DESK_OIDC_SCOPES: 'openid profile work-items',
        DESK_OIDC_RESOURCE: RESOURCE,
      },
    });
    await provider.serve(`${d.base}/`);

    const provisioner = await provider.provisionerToken();
    expect(claimsOf(provisioner)).toMatchObject({ iss: provider.issuer, aud: RESOURCE, sub: 'provisioner', roles: ['admin', 'channel'] });
    expect((await d.call('POST', '/api/queues', provisioner, { id: 'support', mode: 'pick' })).status).toBe(201);
    const agent = { id: AGENT.sub, capacity: 3, queueIds: ['support'], presence: 'available' };
    expect((await d.call('POST', '/api/agents', provisioner, agent)).status).toBe(201);
    for (const id of ['c-1', 'c-2']) {
      const opened = await d.call('POST', '/api/conversations', provisioner, {
        id,
        channel: 'sms',
        queueId: 'support',
        customerId: `cust-${id}`,
      });
      expect(opened.status).toBe(201);
    }

    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // The desk's own problems (the provider's pages are its own business). The 401 of the expired
      // token is a refusal the desk handles, logged by Chromium as a failed load.
      if (
        message.type() === 'error' &&
        page.url().startsWith(d.base) &&
        !/Failed to load resource: the server responded with a status of 401/.test(message.text())
      )
        problems.push(`console: ${message.text()} (${message.location().url})`);
    });
    page.on('request', (request) => browserRequests.push({ url: request.url(), authorization: request.headers().authorization }));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await d?.close();
    await provider?.close();
  });

  it('shows "Sign in with <issuer>" (and no login-link form) on an accessible sign-in screen', async () => {
    await page.goto(`${d.base}/`);
    await page.getByRole('heading', { name: 'Sign in to the agent desk' }).waitFor();
    await signInButton().waitFor();
    expect(await page.getByLabel('Sign-in link or token').count()).toBe(0);
    await expectAccessible('sign-in with the identity provider');
  }, 60_000);

  it("goes through the provider's login and consent pages and comes back signed in, My work items loaded through the API", async () => {
    await signInButton().click();
    await page.waitForURL((url) => url.origin === provider.issuer, { timeout: 15_000 });
    const authorize = browserRequests.find(({ url }) => url.startsWith(`${provider.issuer}/auth?`));
    expect(authorize).toBeDefined();
    const query = new URL(authorize?.url as string).searchParams;
    expect({
      client_id: query.get('client_id'),
      response_type: query.get('response_type'),
      response_mode: query.get('response_mode'),
      code_challenge_method: query.get('code_challenge_method'),
      redirect_uri: query.get('redirect_uri'),
      resource: query.get('resource'),
      scope: query.get('scope'),
    }).toEqual({
      client_id: CLIENT_ID,
      response_type: 'code',
      response_mode: 'fragment',
      code_challenge_method: 'S256',
      redirect_uri: `${d.base}/`,
      resource: RESOURCE,
      scope: 'openid profile work-items',
    });
    expect(query.get('code_challenge')).toMatch(/^[\w-]{43}$/);

    // The provider's login page: a wrong password first.
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Username').fill(AGENT.sub);
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Unknown username or wrong password.').waitFor();
    await page.getByLabel('Username').fill(AGENT.sub);
    await page.getByLabel('Password').fill(AGENT.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Its consent page.
    await page.getByRole('heading', { name: 'Authorize Agent desk' }).waitFor();
    await page.getByRole('button', { name: 'Allow' }).click();

    // Back at the desk, signed in as the provider's account.
    await page.getByRole('heading', { name: 'Agent desk', level: 1 }).waitFor();
    expect(page.url()).toBe(`${d.base}/#/`);
    expect(await page.getByText('Signed in as').innerText()).toContain(AGENT.sub);
    await page.getByRole('button', { name: 'Pick c-1' }).waitFor();
    await page.getByRole('region', { name: 'My work items' }).getByText('Nothing is assigned to you.').waitFor();

    const token = (await page.evaluate(() => sessionStorage.getItem('desk.token'))) as string;
    expect(claimsOf(token)).toMatchObject({ iss: provider.issuer, aud: RESOURCE, sub: AGENT.sub, roles: ['agent'] });
    // The code came back in the fragment, which no server sees; the token only in Authorization headers.
    expect(d.receivedUrls.filter((url) => /[?&#](code|state|token)=/.test(url) || url.includes(token))).toEqual([]);
    expect(browserRequests.filter(({ url }) => url.includes(token))).toEqual([]);
    const apiCalls = browserRequests.filter(({ url }) => url.startsWith(`${d.base}/api/`) && !url.endsWith('/api/desk/config'));
    expect(apiCalls.length).toBeGreaterThan(2);
    expect(apiCalls.every(({ authorization }) => authorization === `Bearer ${token}`)).toBe(true);

    // The token works for the agent's actions too: picking puts the item in My work items.
    await page.getByRole('button', { name: 'Pick c-1' }).click();
    await page.getByRole('heading', { name: 'Conversation c-1' }).waitFor();
    await page.getByRole('region', { name: 'My work items' }).getByRole('link', { name: 'c-1' }).waitFor();
  }, 90_000);

  it('an expired access token brings the sign-in screen over the desk; the provider sends the agent back to where it was', async () => {
    expect(page.url()).toBe(`${d.base}/#/conversations/c-1`);
    d.clock.advance(2 * HOUR); // the provider's access tokens live 1 hour
    await page.getByRole('heading', { name: 'Your session ended' }).waitFor({ timeout: 20_000 });
    expect(page.url()).toBe(`${d.base}/#/conversations/c-1`);
    expect(await page.evaluate(() => sessionStorage.getItem('desk.token'))).toBeNull();
    await expectAccessible('sign-in, session ended');
    const before = d.receivedUrls.length;
    d.clock.advance(-2 * HOUR);

    // Still signed in at the provider, with consent given: straight back, to the same conversation.
    await signInButton().click();
    await page.getByRole('heading', { name: 'Conversation c-1' }).waitFor({ timeout: 20_000 });
    expect(page.url()).toBe(`${d.base}/#/conversations/c-1`);
    await page.getByRole('region', { name: 'My work items' }).getByRole('link', { name: 'c-1' }).waitFor();
    expect(d.receivedUrls.slice(before).filter((url) => /[?&#](code|state)=/.test(url))).toEqual([]);
  }, 60_000);

  it('signs out of the desk and of the provider, back on the sign-in screen; signing in again asks for the password', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    // The provider's end_session asks to confirm.
    await page.waitForURL((url) => url.origin === provider.issuer, { timeout: 15_000 });
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.getByRole('heading', { name: 'You signed out' }).waitFor();
    expect(new URL(page.url()).origin).toBe(d.base);
    expect(new URL(page.url()).search).toBe('');
    expect(await page.evaluate(() => sessionStorage.getItem('desk.token'))).toBeNull();
    await expectAccessible('sign-in, signed out');

    await signInButton().click();
    await page.getByLabel('Password').waitFor();
    expect(new URL(page.url()).origin).toBe(provider.issuer);
    expect(problems).toEqual([]);
  }, 60_000);
});
