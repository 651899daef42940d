import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK, type JWTPayload, type KeyLike } from 'jose';
import { startApp, type Answer, type TestApp } from './support/start-app';
import { generateSigningKey, issueToken } from '@lib/platform';

/**
 * Production identity: the service trusts an identity provider's JWKS (AUTH_JWKS_URL) and
 * nothing else. A local HTTP server plays the IdP: it publishes a key set built with jose and
 * counts how often the service fetches it; the tests sign tokens with the IdP's private keys.
 *
 * How jose (v5, createRemoteJWKSet) fetches, which the rotation tests rely on:
 * - lazily: nothing is fetched when the app starts, the first token to verify fetches the set;
 * - a token whose `kid` is not in the cached set makes it fetch again only when the cooldown
 *   (30 s here) has passed since the last fetch; within the cooldown it refuses the token
 *   without fetching. So a key the IdP starts using less than 30 s after the service last
 *   fetched is refused until the cooldown is over;
 * - concurrent verifications share one pending fetch.
 * The cooldown is measured on the wall clock (Date.now), not on the service's clock. Real
 * time cannot be waited out in a test of this length, so Date.now is made to read the real time
 * plus `wallSkewMs`, moved forward past the cooldown where a test needs it.
 */

const ISSUER = 'https://idp.test/realms/acme';
const AUDIENCE = 'work-items';
/** token-verifier's JWKS_REFETCH_COOLDOWN_MS, and a margin. */
const PAST_COOLDOWN_MS = 30_000 + 1_000;

const realDateNow = Date.now.bind(Date);
let wallSkewMs = 0;
let dateNowSpy: jest.SpyInstance<number, []>;

interface IdpKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: KeyLike;
  publicKey: KeyLike;
  jwk: JWK;
}

const idpKey = async (kid: string, alg: IdpKey['alg']): Promise<IdpKey> => {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicKey, jwk };
};

/** The identity provider's key set endpoint: GET /jwks, counted. */
interface Idp {
  url: string;
  fetches: number;
  publish(keys: IdpKey[]): void;
  close(): Promise<void>;
}

const startIdp = async (keys: IdpKey[]): Promise<Idp> => {
  let published = keys.map((key) => key.jwk);
  const idp = { fetches: 0 } as Idp;
  const server: Server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/jwks') {
      idp.fetches += 1;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: published }));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  idp.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  idp.publish = (next) => {
    published = next.map((key) => key.jwk);
  };
  idp.close = () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    });
  return idp;
};

interface TokenOptions {
  sub?: string;
  issuer?: string;
  audience?: string | string[];
  ttlSeconds?: number;
  /** Header kid; defaults to the key's. */
  kid?: string;
}

/** A token as the IdP signs it: iat and exp on the app's clock (the verifier judges expiry on it). */
const signed = (t: TestApp, key: IdpKey, claims: JWTPayload, options: TokenOptions = {}): Promise<string> => {
  const iat = Math.floor(t.clock.now().getTime() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: options.kid ?? key.kid, typ: 'JWT' })
    .setSubject(options.sub ?? 'idp-admin')
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (options.ttlSeconds ?? 3600))
    .sign(key.privateKey);
};

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

let queueSeq = 0;
/** A write (DefineQueue, admin) with this token: a refused one must leave the log as it was. */
const defineQueue = (t: TestApp, token: string): Promise<Answer> => t.post('/api/queues', { id: `q-jwks-${++queueSeq}` }, bearer(token));

/** Sends, expects the refusal, and checks the log did not move. */
const expectRefused = async (t: TestApp, send: () => Promise<Answer>, status: 401 | 403, code: string): Promise<Answer> => {
  const head = await t.store.headPosition();
  const answer = await send();
  expect({ status: answer.statusCode, code: answer.body?.code }).toEqual({ status, code });
  expect(await t.store.headPosition()).toBe(head);
  return answer;
};

beforeAll(() => {
  dateNowSpy = jest.spyOn(Date, 'now').mockImplementation(() => realDateNow() + wallSkewMs);
});

afterAll(() => {
  dateNowSpy.mockRestore();
});

describe('identity from an identity provider (AUTH_JWKS_URL)', () => {
  let idp: Idp;
  let t: TestApp;
  let rsa1: IdpKey;
  let ec1: IdpKey;

  beforeAll(async () => {
    [rsa1, ec1] = await Promise.all([idpKey('rsa-2026-01', 'RS256'), idpKey('ec-2026-01', 'ES256')]);
    idp = await startIdp([rsa1, ec1]);
    t = await startApp({ provision: 'none', env: { AUTH_JWKS_URL: idp.url, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE } });
  });

  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it('fetches the key set lazily: not at start, once for the first token', async () => {
    expect(idp.fetches).toBe(0);
    // An unauthenticated request does not reach the key set either.
    await expectRefused(t, () => t.post('/api/queues', { id: 'q-anonymous' }, { authorization: '' }), 401, 'AUTH.MISSING_CREDENTIALS');
    expect(idp.fetches).toBe(0);
  });

  it('accepts an RS256 token of the IdP (admin creates a queue), then an ES256 one from a second key of the set', async () => {
    const head = await t.store.headPosition();
    const rs = await t.post('/api/queues', { id: 'q1' }, bearer(await signed(t, rsa1, { roles: ['admin'] })));
    expect(rs.statusCode).toBe(201);
    expect(rs.body).toMatchObject({ id: 'q1' });
    expect(idp.fetches).toBe(1);

    const es = await t.post('/api/queues', { id: 'q2' }, bearer(await signed(t, ec1, { roles: ['admin'] }, { sub: 'idp-admin-2' })));
    expect(es.statusCode).toBe(201);
    // Both keys came in the one fetch.
    expect(idp.fetches).toBe(1);
    expect(await t.store.headPosition()).toBeGreaterThan(head);
  });

  describe('tokens it refuses (401 AUTH.INVALID_TOKEN, nothing written, no fetch)', () => {
    it('another issuer, even signed by a key of the set', async () => {
      const answer = await expectRefused(
        t,
        async () => defineQueue(t, await signed(t, rsa1, { roles: ['admin'] }, { issuer: 'https://evil.test' })),
        401,
        'AUTH.INVALID_TOKEN',
      );
      expect(answer.body.message).toMatch(/issuer/);
      expect(answer.body.reason).toMatch(/issuer this service does not accept/);
      expect(answer.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      // The issuer is not echoed from the token (nothing of the token is reflected).
      expect(answer.text).not.toContain('evil.test');
    });

    it('another audience', async () => {
      const answer = await expectRefused(
        t,
        async () => defineQueue(t, await signed(t, rsa1, { roles: ['admin'] }, { audience: 'billing' })),
        401,
        'AUTH.INVALID_TOKEN',
      );
      expect(answer.body.message).toMatch(/another audience/);
    });

    it('HS256 signed with the RSA public key as the HMAC secret (algorithm confusion)', async () => {
      const secret = new TextEncoder().encode(await exportSPKI(rsa1.publicKey));
      const iat = Math.floor(t.clock.now().getTime() / 1000);
      const forged = await new SignJWT({ roles: ['admin'] })
        .setProtectedHeader({ alg: 'HS256', kid: rsa1.kid, typ: 'JWT' })
        .setSubject('mallory')
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(iat)
        .setExpirationTime(iat + 3600)
        .sign(secret);
      const answer = await expectRefused(t, () => defineQueue(t, forged), 401, 'AUTH.INVALID_TOKEN');
      expect(answer.body.message).toMatch(/signing algorithm is not accepted/);
    });

    it('alg none (unsigned)', async () => {
      const iat = Math.floor(t.clock.now().getTime() / 1000);
      const header = base64url({ alg: 'none', typ: 'JWT', kid: rsa1.kid });
      const claims = base64url({ sub: 'mallory', roles: ['admin'], iss: ISSUER, aud: AUDIENCE, iat, exp: iat + 3600 });
      for (const unsigned of [`${header}.${claims}.`, `${header}.${claims}`]) {
        await expectRefused(t, () => defineQueue(t, unsigned), 401, 'AUTH.INVALID_TOKEN');
      }
    });

    it("expired, on the app's clock", async () => {
      const token = await signed(t, rsa1, { roles: ['admin'] }, { ttlSeconds: 60 });
      // Still valid now…
      const before = await defineQueue(t, token);
      expect(before.statusCode).toBe(201);
      // …and no longer once the service's clock has passed exp.
      t.clock.advance(61_000);
      const answer = await expectRefused(t, () => defineQueue(t, token), 401, 'AUTH.INVALID_TOKEN');
      expect(answer.body.message).toMatch(/expired/);
    });

    it('a signature that does not verify (payload altered after signing)', async () => {
      const [header, , signature] = (await signed(t, rsa1, { roles: ['agent'] })).split('.');
      const iat = Math.floor(t.clock.now().getTime() / 1000);
      const altered = `${header}.${base64url({ sub: 'idp-admin', roles: ['admin'], iss: ISSUER, aud: AUDIENCE, iat, exp: iat + 3600 })}.${signature}`;
      const answer = await expectRefused(t, () => defineQueue(t, altered), 401, 'AUTH.INVALID_TOKEN');
      expect(answer.body.message).toMatch(/signature does not verify/);
    });

    it('none of them fetched the key set again', () => {
      // All were refused before a key was looked up, or with the key of the set they named.
      expect(idp.fetches).toBe(1);
    });
  });

  it("refuses a token of an embedded-style Ed25519 key (generateSigningKey + issueToken): only the IdP's keys count", async () => {
    const { key } = await generateSigningKey();
    const embedded = await issueToken(key, { sub: 'idp-admin', roles: ['admin'], ttlMs: 3_600_000, now: t.clock.now() });
    // Even claiming the IdP's issuer and audience, with EdDSA (an algorithm the IdP may use).
    const posing = await issueToken(key, {
      sub: 'idp-admin',
      roles: ['admin'],
      ttlMs: 3_600_000,
      issuer: ISSUER,
      audience: AUDIENCE,
      now: t.clock.now(),
    });
    for (const token of [embedded, posing]) {
      const answer = await expectRefused(t, () => defineQueue(t, token), 401, 'AUTH.INVALID_TOKEN');
      expect(answer.body.message).toMatch(/key the identity provider does not publish/);
    }
  });

  describe('key rotation and unknown kids (refetch at most once per 30 s cooldown)', () => {
    let rsa2: IdpKey;
    let stranger: IdpKey;

    beforeAll(async () => {
      [rsa2, stranger] = await Promise.all([idpKey('rsa-2026-02', 'RS256'), idpKey('rsa-not-published', 'RS256')]);
    });

    it('a key the IdP starts using within the cooldown of the last fetch is refused, without a fetch (jose does not refetch yet)', async () => {
      const fetches = idp.fetches;
      idp.publish([rsa1, ec1, rsa2]);
      const answer = await expectRefused(
        t,
        async () => defineQueue(t, await signed(t, rsa2, { roles: ['admin'] })),
        401,
        'AUTH.INVALID_TOKEN',
      );
      expect(answer.body.message).toMatch(/key the identity provider does not publish/);
      expect(idp.fetches).toBe(fetches);
    });

    it('once the cooldown has passed, the first token with the new kid fetches the set again and is accepted', async () => {
      const fetches = idp.fetches;
      wallSkewMs += PAST_COOLDOWN_MS;
      const rotated = await t.post('/api/queues', { id: 'q-rotated' }, bearer(await signed(t, rsa2, { roles: ['admin'] })));
      expect(rotated.statusCode).toBe(201);
      expect(idp.fetches).toBe(fetches + 1);
      // The new kid is now cached; the old keys still work, neither fetches.
      expect((await defineQueue(t, await signed(t, rsa2, { roles: ['admin'] }))).statusCode).toBe(201);
      expect((await defineQueue(t, await signed(t, rsa1, { roles: ['admin'] }))).statusCode).toBe(201);
      expect(idp.fetches).toBe(fetches + 1);
    });

    it('a kid the IdP does not publish is refused; repeated, it does not refetch within the cooldown', async () => {
      // Just after the rotation's fetch: within the cooldown.
      const fetches = idp.fetches;
      for (let i = 0; i < 5; i += 1) {
        const answer = await expectRefused(
          t,
          async () => defineQueue(t, await signed(t, stranger, { roles: ['admin'] })),
          401,
          'AUTH.INVALID_TOKEN',
        );
        expect(answer.body.message).toMatch(/key the identity provider does not publish/);
      }
      expect(idp.fetches).toBe(fetches);
    });

    it('after the cooldown, a burst of unknown kids (one after another) fetches the set exactly once', async () => {
      wallSkewMs += PAST_COOLDOWN_MS;
      const fetches = idp.fetches;
      for (let i = 0; i < 5; i += 1) {
        await expectRefused(t, async () => defineQueue(t, await signed(t, stranger, { roles: ['admin'] })), 401, 'AUTH.INVALID_TOKEN');
      }
      expect(idp.fetches).toBe(fetches + 1);
    });

    it('after the cooldown, concurrent unknown kids share one fetch', async () => {
      wallSkewMs += PAST_COOLDOWN_MS;
      const fetches = idp.fetches;
      const head = await t.store.headPosition();
      const tokens = await Promise.all(Array.from({ length: 8 }, () => signed(t, stranger, { roles: ['admin'] })));
      const answers = await Promise.all(tokens.map((token) => defineQueue(t, token)));
      expect(answers.map((answer) => `${answer.statusCode} ${answer.body?.code}`)).toEqual(tokens.map(() => '401 AUTH.INVALID_TOKEN'));
      expect(await t.store.headPosition()).toBe(head);
      expect(idp.fetches).toBe(fetches + 1);
    });

    it('an embedded-style Ed25519 token after the cooldown costs one fetch and is still refused', async () => {
      wallSkewMs += PAST_COOLDOWN_MS;
      const fetches = idp.fetches;
      const { key } = await generateSigningKey();
      const token = await issueToken(key, {
        sub: 'idp-admin',
        roles: ['admin'],
        ttlMs: 3_600_000,
        issuer: ISSUER,
        audience: AUDIENCE,
        now: t.clock.now(),
      });
      await expectRefused(t, () => defineQueue(t, token), 401, 'AUTH.INVALID_TOKEN');
      await expectRefused(t, () => defineQueue(t, token), 401, 'AUTH.INVALID_TOKEN');
      expect(idp.fetches).toBe(fetches + 1);
    });
  });
});

describe('roles from a nested claim (AUTH_ROLES_CLAIM=realm_access.roles, Keycloak)', () => {
  let idp: Idp;
  let t: TestApp;
  let rsa: IdpKey;

  beforeAll(async () => {
    rsa = await idpKey('kc-rsa-1', 'RS256');
    idp = await startIdp([rsa]);
    t = await startApp({
      provision: 'none',
      env: { AUTH_JWKS_URL: idp.url, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE, AUTH_ROLES_CLAIM: 'realm_access.roles' },
    });
  });

  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it('a supervisor named in realm_access.roles reads the capacity board', async () => {
    // As Keycloak issues it: a UUID sub, roles this service does not know next to its own, aud an array.
    const token = await signed(
      t,
      rsa,
      {
        realm_access: { roles: ['offline_access', 'uma_authorization', 'supervisor'] },
        resource_access: { account: { roles: ['manage-account'] } },
      },
      { sub: '5f0c2b1e-7f5a-4c3e-9d2a-8a1b2c3d4e5f', audience: [AUDIENCE, 'account'] },
    );
    const board = await t.get('/api/agents', bearer(token));
    expect(board.statusCode).toBe(200);
    expect(idp.fetches).toBe(1);
  });

  it('top-level roles are not read when the claim is realm_access.roles: 403 AUTH.FORBIDDEN', async () => {
    const token = await signed(t, rsa, { roles: ['supervisor'] }, { sub: 'top-level-supervisor' });
    const head = await t.store.headPosition();
    const board = await t.get('/api/agents', bearer(token));
    expect({ status: board.statusCode, code: board.body?.code }).toEqual({ status: 403, code: 'AUTH.FORBIDDEN' });
    expect(board.body.message).toMatch(/no role this service knows/);
    expect(await t.store.headPosition()).toBe(head);
  });

  it('a write with top-level roles only is refused the same way, and writes nothing', async () => {
    await expectRefused(
      t,
      async () => defineQueue(t, await signed(t, rsa, { roles: ['admin'] }, { sub: 'top-level-admin' })),
      403,
      'AUTH.FORBIDDEN',
    );
    // With admin where the claim says, the same write goes through.
    const created = await defineQueue(t, await signed(t, rsa, { realm_access: { roles: ['admin'] } }, { sub: 'nested-admin' }));
    expect(created.statusCode).toBe(201);
  });
});
