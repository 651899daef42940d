/**
 * A real OpenID Connect provider for the desk's sign-in tests: the `oidc-provider` package
 * (certified OpenID Provider; 8.x, whose supported runtimes include Node 20), listening on 127.0.0.1, run as a process of its own because the
 * package is an ES module, which Jest's CommonJS module system cannot load.
 *
 * - One public client (token_endpoint_auth_method none, authorization code, PKCE S256 required),
 *   its redirect and post-logout URIs given by the test (the desk's page).
 * - Test accounts with passwords, checked by this file's own login page; a consent page.
 * - Access tokens for the resource indicator OIDC_RESOURCE (RFC 8707) are JWTs (RS256) with
 *   aud = OIDC_RESOURCE and the account's roles in the `roles` claim, as the service reads them.
 * - end_session (RP-initiated logout) is on, as the package has it by default.
 * - With OIDC_PROVISIONER_SECRET, a confidential client `provisioner` gets access tokens by
 *   client credentials (roles OIDC_PROVISIONER_ROLES, default admin,channel): the test's own
 *   calls to the API, as another system of the contact center would make them.
 *
 * Environment: OIDC_CLIENT_ID, OIDC_RESOURCE, OIDC_ACCOUNTS (JSON:
 * {"<sub>": {"password": "...", "name": "...", "roles": ["agent"]}}), OIDC_ACCESS_TOKEN_TTL (s).
 * Prints a JSON line on standard output when it listens, {"issuer": "...", "jwksUri": "..."}
 * (the service under test is started with them); then reads the client's redirect URI (the
 * desk's page, known once the service listens) as one line on standard input, and prints
 * {"ready": true} when it serves.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider, { errors } from 'oidc-provider';

const need = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const clientId = need('OIDC_CLIENT_ID');
const resource = need('OIDC_RESOURCE');
const accounts = JSON.parse(need('OIDC_ACCOUNTS'));
const accessTokenTtl = Number(process.env.OIDC_ACCESS_TOKEN_TTL || 3600);
const provisionerSecret = process.env.OIDC_PROVISIONER_SECRET;
const provisionerRoles = (process.env.OIDC_PROVISIONER_ROLES || 'admin,channel').split(',');

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

process.stdout.write(`${JSON.stringify({ issuer, jwksUri: `${issuer}/jwks` })}\n`);

const redirectUri = await new Promise((resolve, reject) => {
  let text = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    text += chunk;
    if (text.includes('\n')) resolve(text.split('\n')[0].trim());
  });
  process.stdin.on('error', reject);
});
new URL(redirectUri);

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', alg: 'RS256', use: 'sig' };

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)} · Test identity provider</title></head>
<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_name: 'Agent desk',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: [redirectUri],
    },
    // A service account (client credentials) for what the test sets up through the API: queues,
    // agents, conversations.
    ...(provisionerSecret
      ? [
          {
            client_id: 'provisioner',
            client_secret: provisionerSecret,
            token_endpoint_auth_method: 'client_secret_post',
            grant_types: ['client_credentials'],
            response_types: [],
            redirect_uris: [],
          },
        ]
      : []),
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  pkce: { required: () => true },
  claims: { openid: ['sub'], profile: ['name'] },
  findAccount: (_ctx, sub) => (accounts[sub] ? { accountId: sub, claims: async () => ({ sub, name: accounts[sub].name }) } : undefined),
  // The desk's page may redeem its code and read discovery from its own origin.
  clientBasedCORS: (_ctx, origin, client) => client.redirectUris.some((uri) => new URL(uri).origin === origin),
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true },
    clientCredentials: { enabled: Boolean(provisionerSecret) },
    resourceIndicators: {
      enabled: true,
      // The code's resource serves the token request too (the desk names it at the authorization request).
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator) => {
        if (indicator !== resource) throw new errors.InvalidTarget();
        return {
          scope: 'work-items',
          audience: resource,
          accessTokenTTL: accessTokenTtl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  extraTokenClaims: (_ctx, token) => {
    if (token.kind === 'AccessToken' && accounts[token.accountId]) return { roles: accounts[token.accountId].roles };
    if (token.kind === 'ClientCredentials' && token.clientId === 'provisioner') return { roles: provisionerRoles };
    return undefined;
  },
  ttl: { AccessToken: accessTokenTtl, IdToken: accessTokenTtl, Session: 3600, Interaction: 600, Grant: 3600 },
});

/** The login page (a test account and its password) and the consent page. */
provider.use(async (ctx, next) => {
  const match = /^\/interaction\/([\w-]+)(\/(login|consent|abort))?$/.exec(ctx.path);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { uid, prompt, params, session } = details;
  const action = match[3];
  if (ctx.method === 'GET' && !action) {
    ctx.type = 'html';
    ctx.set('cache-control', 'no-store');
    if (prompt.name === 'login') {
      ctx.body = page(
        'Sign in',
        `<form method="post" action="/interaction/${uid}/login">
  <p><label for="username">Username</label> <input id="username" name="username" autocomplete="username" required></p>
  <p><label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password" required></p>
  ${ctx.query.failed ? '<p role="alert">Unknown username or wrong password.</p>' : ''}
  <button type="submit">Sign in</button>
</form>`,
      );
    } else {
      ctx.body = page(
        'Authorize Agent desk',
        `<p>Agent desk asks to sign you in and to call the work-items API as you (${escape(session?.accountId)}).</p>
<p>Scopes: ${escape(params.scope)}</p>
<form method="post" action="/interaction/${uid}/consent"><button type="submit">Allow</button></form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit">Deny</button></form>`,
      );
    }
    return;
  }
  if (ctx.method !== 'POST') return next();
  const form = new URLSearchParams(
    await new Promise((resolve, reject) => {
      let text = '';
      ctx.req.setEncoding('utf8');
      ctx.req.on('data', (chunk) => (text += chunk));
      ctx.req.on('end', () => resolve(text));
      ctx.req.on('error', reject);
    }),
  );
  if (action === 'login') {
    const sub = form.get('username') ?? '';
    if (!accounts[sub] || accounts[sub].password !== form.get('password')) {
      ctx.redirect(`/interaction/${uid}?failed=1`);
      return;
    }
    await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: sub } }, { mergeWithLastSubmission: false });
    ctx.respond = false;
    return;
  }
  if (action === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
      grant.addResourceScope(indicator, scopes.join(' '));
    await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
    ctx.respond = false;
    return;
  }
  await provider.interactionFinished(
    ctx.req,
    ctx.res,
    { error: 'access_denied', error_description: 'The user denied it' },
    { mergeWithLastSubmission: false },
  );
  ctx.respond = false;
});

server.on('request', provider.callback());
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
// The test that started this process is gone: so is the provider.
process.stdin.on('end', () => process.exit(0));
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
