/**
 * `npm run cli -- login-link` as an operator runs it: one line on stdout, a desk URL whose
 * fragment carries a token issued exactly as `token` issues it (same key, claims and checks),
 * and the same refusals as `token` for a bad --sub or --roles.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { loadOrCreateSigningKey, type SigningKey } from '@lib/platform';

const ROOT = join(__dirname, '..');
const LOADER = join(ROOT, 'apps/api/src/infrastructure/projector-worker/register-typescript.js');

const cli = (dataDir: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['-r', LOADER, join(ROOT, 'apps/cli/src/main.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, EVENT_STORE: 'sqlite', PORT: '3000', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });

const LINK = /^(?<base>https?:\/\/[^#?\s]+\/)#token=(?<token>[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\n$/;

describe('cli login-link', () => {
  let dataDir: string;
  let key: SigningKey;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'login-link-'));
    key = await loadOrCreateSigningKey(dataDir);
  });

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints one line: the desk URL with a token in the fragment, signed like `token` signs', async () => {
    const run = cli(dataDir, ['login-link', '--sub', 'a-1', '--roles', 'agent', '--ttl', '2h', '--base-url', 'http://127.0.0.1:4000']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const match = LINK.exec(run.stdout);
    expect(match?.groups?.base).toBe('http://127.0.0.1:4000/');
    const token = match?.groups?.token as string;
    const { payload } = await jwtVerify(token, key.publicKey, {
      issuer: 'conversation-work-items',
      audience: 'conversation-work-items-api',
    });
    expect(payload).toMatchObject({ sub: 'a-1', roles: ['agent'] });
    expect((payload.exp as number) - (payload.iat as number)).toBe(2 * 3600);

    // The same claims and header as `token` gives for the same options.
    const plain = cli(dataDir, ['token', '--sub', 'a-1', '--roles', 'agent', '--ttl', '2h']);
    expect(plain.status).toBe(0);
    const { iat: _a, exp: _b, ...tokenClaims } = decodeJwt(plain.stdout.trim());
    const { iat: _c, exp: _d, ...linkClaims } = decodeJwt(token);
    expect(linkClaims).toEqual(tokenClaims);
    expect(decodeProtectedHeader(token)).toEqual(decodeProtectedHeader(plain.stdout.trim()));
  });

  it('defaults to this service on localhost:$PORT, 8 hours, and keeps a path the desk is served under', async () => {
    const byDefault = cli(dataDir, ['login-link', '--sub', 'sup-1', '--roles', 'supervisor,agent'], { PORT: '3123' });
    expect(byDefault.status).toBe(0);
    const match = LINK.exec(byDefault.stdout);
    expect(match?.groups?.base).toBe('http://localhost:3123/');
    const claims = decodeJwt(match?.groups?.token as string);
    expect(claims).toMatchObject({ sub: 'sup-1', roles: ['supervisor', 'agent'] });
    expect((claims.exp as number) - (claims.iat as number)).toBe(8 * 3600);

    const under = cli(dataDir, ['login-link', '--sub', 'a-1', '--roles', 'agent', '--base-url', 'https://desk.example.com/cc']);
    expect(under.status).toBe(0);
    expect(LINK.exec(under.stdout)?.groups?.base).toBe('https://desk.example.com/cc/');
  });

  it.each([
    ['no --sub', ['--roles', 'agent'], /--sub is required/],
    ['a malformed --sub', ['--sub', 'a 1', '--roles', 'agent'], /--sub is required: .*1-64 letters/],
    ['no --roles', ['--sub', 'a-1'], /--roles must list roles among channel, agent, supervisor, admin, integration/],
    ['an unknown role', ['--sub', 'a-1', '--roles', 'agent,boss'], /--roles must list roles .*; unknown: boss/],
    ['a bad --ttl', ['--sub', 'a-1', '--roles', 'agent', '--ttl', '90d'], /ttl|TTL/],
    ['a --base-url that is not http', ['--sub', 'a-1', '--roles', 'agent', '--base-url', 'ftp://x'], /--base-url must be http or https/],
    ['a --base-url with a fragment', ['--sub', 'a-1', '--roles', 'agent', '--base-url', 'http://x/#a'], /no query and no fragment/],
    ['a --base-url that is no URL', ['--sub', 'a-1', '--roles', 'agent', '--base-url', 'desk'], /--base-url must be an http or https URL/],
    ['an unknown option', ['--sub', 'a-1', '--roles', 'agent', '--role', 'x'], /unknown option --role/],
  ])('refuses %s like `token` does: exit 1, a message, nothing on stdout', (_what, args, message) => {
    const run = cli(dataDir, ['login-link', ...args]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('refuses without the service key, and when an identity provider issues the tokens', () => {
    const empty = mkdtempSync(join(tmpdir(), 'login-link-empty-'));
    try {
      const noKey = cli(empty, ['login-link', '--sub', 'a-1', '--roles', 'agent']);
      expect(noKey.status).toBe(1);
      expect(noKey.stderr).toMatch(/No signing key in/);
      const idp = cli(dataDir, ['login-link', '--sub', 'a-1', '--roles', 'agent'], {
        AUTH_JWKS_URL: 'https://idp.example.com/jwks',
        AUTH_ISSUER: 'https://idp.example.com',
      });
      expect(idp.status).toBe(1);
      expect(idp.stderr).toMatch(/AUTH_JWKS_URL is set/);
      expect(idp.stdout).toBe('');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
