/**
 * Identity and roles from the outside (apps/api/src/auth): every route of the OpenAPI document
 * against every kind of credentials and every role, answered as PERMISSIONS says; the actor of
 * every write is the token's principal, never a body field; agents read only what they are
 * related to; rate limits, security headers and CORS.
 *
 * Every request here carries an explicit Authorization header (the harness would otherwise sign
 * it with every role); `authorization: ''` sends none.
 */
import type { LightMyRequestResponse } from 'fastify';
import { exportJWK, SignJWT } from 'jose';
import { EMBEDDED_AUDIENCE, EMBEDDED_ISSUER, ROLES, type Role, generateSigningKey, type SigningKey, issueToken } from '@lib/platform';
import { PERMISSIONS, type ApiAction, type Relation } from '../apps/api/src/auth/permissions';
import { startApp, type Answer, type TestApp } from './support/start-app';
import { fireDueTimers } from './support/timers';

const AGENT_A = 'agent-a';
const AGENT_B = 'agent-b';
const AGENT_C = 'agent-c';
const CHANNEL = 'chan-web';
const SUPERVISOR = 'sup-1';
const ADMIN = 'admin-1';
const INTEGRATION = 'crm-sync';
const HOUR = 3_600_000;

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const hasBody = (method: Method) => method === 'POST' || method === 'PATCH';

/** Sends with exactly this bearer token (undefined: no Authorization header at all). */
const send = (t: TestApp, method: Method, url: string, token: string | undefined, body?: object): Promise<Answer> =>
  t.request({
    method,
    url,
    payload: hasBody(method) ? (body ?? {}) : undefined,
    headers: { authorization: token === undefined ? '' : `Bearer ${token}` },
  });

/** Sends and requires a 2xx: setting the scene, not what is measured. */
const must = async (t: TestApp, method: Method, url: string, token: string, body?: object): Promise<Answer> => {
  const answer = await send(t, method, url, token, body);
  if (answer.statusCode < 200 || answer.statusCode > 299)
    throw new Error(`${method} ${url} ${JSON.stringify(body)} answered ${answer.statusCode}: ${answer.text}`);
  return answer;
};

/**
 * Queues q1 (served by agent-a) and q2 (served by agent-b and agent-c), the three agents
 * available with room to spare: created by an admin, as in production.
 */
const createWorld = async (t: TestApp): Promise<void> => {
  const admin = await t.token(ADMIN, ['admin']);
  for (const id of ['q1', 'q2']) await must(t, 'POST', '/api/queues', admin, { id });
  const agents: Array<[string, string[]]> = [
    [AGENT_A, ['q1']],
    [AGENT_B, ['q2']],
    [AGENT_C, ['q2']],
  ];
  for (const [id, queueIds] of agents) await must(t, 'POST', '/api/agents', admin, { id, capacity: 1000, queueIds, presence: 'available' });
};

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned token (`alg: none`) that would otherwise be perfect: right issuer, audience, every role. */
const unsignedToken = (sub: string, now: Date) => {
  const iat = Math.floor(now.getTime() / 1000);
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub, roles: [...ROLES], iss: EMBEDDED_ISSUER, aud: EMBEDDED_AUDIENCE, iat, exp: iat + 3600 })}.`;
};

// ---------------------------------------------------------------------------------------------
// 1. The permission matrix
// ---------------------------------------------------------------------------------------------

/** The state of the conversation a route is tried on (agent-a holds it when anybody does). */
type Setup =
  | 'none'
  | 'open'
  | 'held'
  | 'pushed'
  | 'held-record'
  | 'waiting'
  | 'agent-disconnected'
  | 'customer-disconnected'
  | 'consulting'
  | 'webhook';

interface Row {
  action: ApiAction;
  setup: Setup;
  /** The {id} of the path: the fixture conversation (or webhook) by default. */
  id?: string;
  /** A query string the route is called with. */
  query?: string;
  /** The body a caller acting under `role` sends. */
  body?: (role: Role) => object;
  /** Who the agent role is when it is allowed (agent-a by default; the consultant for consult-end). */
  agent?: string;
  /** Another agent (agent-b) on agent-a's conversation or record: its body, and what the 403 names. */
  otherAgent?: { body?: object; names?: Record<string, unknown> };
}

/**
 * Every route of the OpenAPI document and the action (the PERMISSIONS row) it performs. A route
 * added to the API without a row here fails "the OpenAPI document lists exactly these routes".
 */
const ROUTES: Record<string, Row> = {
  'POST /api/conversations': {
    action: 'OpenConversation',
    setup: 'none',
    body: () => ({ channel: 'live_chat', queueId: 'q1', customerId: 'cust-new' }),
  },
  'POST /api/conversations/{id}/pick': {
    action: 'PickConversation',
    setup: 'open',
    otherAgent: { body: { agentId: AGENT_A }, names: { field: 'agentId' } },
  },
  'POST /api/conversations/{id}/assign': { action: 'AssignConversation', setup: 'open', body: () => ({ agentId: AGENT_A, force: true }) },
  'POST /api/conversations/{id}/accept': { action: 'AcceptAssignment', setup: 'pushed' },
  'POST /api/conversations/{id}/reject': { action: 'RejectAssignment', setup: 'pushed' },
  'POST /api/conversations/{id}/end': {
    action: 'EndConversation',
    setup: 'held',
    body: (role) => ({ by: role === 'channel' ? 'customer' : 'agent' }),
  },
  'POST /api/conversations/{id}/close-session': { action: 'CloseSession', setup: 'held' },
  'POST /api/conversations/{id}/release': {
    action: 'ReleaseConversation',
    setup: 'held',
    body: (role) => (role === 'supervisor' ? { agentId: AGENT_A } : {}),
  },
  'POST /api/conversations/{id}/transfer': {
    action: 'TransferConversation',
    setup: 'held',
    body: (role) => (role === 'supervisor' ? { agentId: AGENT_A, toQueueId: 'q2' } : { toQueueId: 'q2' }),
  },
  'POST /api/conversations/{id}/resolve': { action: 'ResolveRecord', setup: 'held-record' },
  'POST /api/conversations/{id}/revive': { action: 'ReviveConversation', setup: 'waiting' },
  'POST /api/conversations/{id}/agent-disconnect': { action: 'DisconnectAgent', setup: 'held' },
  'POST /api/conversations/{id}/agent-reconnect': { action: 'ReconnectAgent', setup: 'agent-disconnected' },
  'POST /api/conversations/{id}/customer-disconnect': { action: 'DisconnectCustomer', setup: 'held' },
  'POST /api/conversations/{id}/customer-reconnect': { action: 'ReconnectCustomer', setup: 'customer-disconnected' },
  'POST /api/conversations/{id}/messages': {
    action: 'RecordMessage',
    setup: 'held',
    body: (role) => ({ from: role === 'channel' ? 'customer' : 'agent' }),
  },
  'POST /api/conversations/{id}/consult': { action: 'StartConsult', setup: 'held', body: () => ({ consultantId: AGENT_C }) },
  // "another agent": agent-b, no consultant, ends the consult on agent-a's conversation. PERMISSIONS
  // asks for the relation "consultant" (403); the service answers 409 CONVERSATION.CONSULT_CONFLICT,
  // naming the status, allowed actions and consultants of a conversation agent-b may not read.
  'POST /api/conversations/{id}/consult-end': {
    action: 'EndConsult',
    setup: 'consulting',
    agent: AGENT_C,
    body: (role) => (role === 'supervisor' ? { consultantId: AGENT_C } : {}),
  },
  'POST /api/conversations/{id}/monitor': { action: 'StartMonitoring', setup: 'held' },
  'POST /api/conversations/{id}/close': { action: 'ForceClose', setup: 'held', body: () => ({ reason: 'duplicate' }) },
  'GET /api/conversations/{id}': { action: 'GetConversation', setup: 'held' },
  'GET /api/conversations/{id}/history': { action: 'GetConversationHistory', setup: 'held' },
  'POST /api/agents': { action: 'RegisterAgent', setup: 'none', body: () => ({ id: 'agent-new', capacity: 2, queueIds: ['q1'] }) },
  'GET /api/agents': { action: 'CapacityBoard', setup: 'none' },
  'GET /api/agents/{id}': { action: 'GetAgent', setup: 'none', id: AGENT_A },
  'POST /api/agents/{id}/presence': { action: 'ChangePresence', setup: 'none', id: AGENT_A, body: () => ({ presence: 'available' }) },
  'POST /api/queues': { action: 'DefineQueue', setup: 'none', body: () => ({ id: 'q-new' }) },
  'GET /api/queues': { action: 'ListQueues', setup: 'none' },
  'GET /api/queues/{id}': { action: 'GetQueue', setup: 'none', id: 'q1' },
  'GET /api/queues/{id}/work-items': { action: 'QueueWorkItems', setup: 'none', id: 'q1' },
  'GET /api/agents/{id}/work-items': { action: 'AgentWorkItems', setup: 'none', id: AGENT_A },
  'GET /api/agents/{id}/closed-work-items': { action: 'AgentClosedWorkItems', setup: 'none', id: AGENT_A },
  'GET /api/audit': { action: 'AuditIndex', setup: 'none' },
  'GET /api/stats/queues': { action: 'QueueStats', setup: 'none' },
  'GET /api/stats/queues/{id}': { action: 'QueueStats', setup: 'none', id: 'q1' },
  'GET /api/stats/agents': { action: 'AgentStats', setup: 'none' },
  'GET /api/conversations': { action: 'OngoingConversations', setup: 'none' },
  'POST /api/webhooks': { action: 'CreateWebhook', setup: 'none', body: () => ({ url: WEBHOOK_URL, paused: true }) },
  'GET /api/webhooks': { action: 'ListWebhooks', setup: 'none' },
  'GET /api/webhooks/{id}': { action: 'GetWebhook', setup: 'webhook' },
  'PATCH /api/webhooks/{id}': { action: 'UpdateWebhook', setup: 'webhook', body: () => ({ description: 'changed' }) },
  'DELETE /api/webhooks/{id}': { action: 'DeleteWebhook', setup: 'webhook' },
  'POST /api/webhooks/{id}/pause': { action: 'PauseWebhook', setup: 'webhook' },
  'POST /api/webhooks/{id}/resume': { action: 'ResumeWebhook', setup: 'webhook' },
  'POST /api/webhooks/{id}/rotate-secret': { action: 'RotateWebhookSecret', setup: 'webhook' },
  'POST /api/webhooks/{id}/test': { action: 'TestWebhook', setup: 'webhook' },
  'POST /api/webhooks/{id}/replay': { action: 'ReplayWebhook', setup: 'webhook', body: () => ({ position: 1 }) },
  'GET /api/webhooks/{id}/deliveries': { action: 'ListWebhookDeliveries', setup: 'webhook' },
  // A catch-up read (follow=false): the stream ends once it has sent what the log holds.
  'GET /api/events': { action: 'StreamEvents', setup: 'none', query: '?after=0&follow=false' },
  'GET /api/changes': { action: 'WatchChanges', setup: 'none', query: '?after=0&follow=false' },
};

/** Paused, on a port nothing listens on: a test message fails at once, and nothing else is sent. */
const WEBHOOK_URL = 'http://127.0.0.1:9/hooks';

/** Open without credentials (the documentation pages are not in the document itself). */
const PUBLIC_ROUTES = ['GET /health', 'GET /health/live', 'GET /health/ready', 'GET /metrics', 'GET /api/desk/config'];

const CREDENTIAL_CASES = ['no token', 'expired token', 'wrong signature', 'wrong issuer', 'wrong audience', 'alg none'] as const;
type CredentialCase = (typeof CREDENTIAL_CASES)[number];
const CASES = [...CREDENTIAL_CASES, ...ROLES, 'another agent'] as const;
type Case = (typeof CASES)[number];

/** What the refusal of each bad credential says (never the token itself). */
const REASON: Record<CredentialCase, RegExp> = {
  'no token': /Authorization: Bearer/,
  'expired token': /expired/,
  'wrong signature': /signature/,
  'wrong issuer': /issuer/,
  'wrong audience': /audience/,
  'alg none': /algorithm|well-formed/,
};

describe('permission matrix: every route of the OpenAPI document × credentials and roles', () => {
  let t: TestApp;
  let doc: { paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>> };
  let documented: string[];
  const tokens = {} as Record<Role | 'agentB' | 'agentC', string>;
  const badTokens = {} as Record<CredentialCase, string | undefined>;
  /** One fixture per route for the refusals (a refusal writes nothing, so they can share it). */
  const shared = new Map<string, string>();
  let seq = 0;

  beforeAll(async () => {
    t = await startApp({ provision: 'none', env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'on' } });
    await createWorld(t);
    tokens.channel = await t.token(CHANNEL, ['channel']);
    tokens.agent = await t.token(AGENT_A, ['agent']);
    tokens.agentB = await t.token(AGENT_B, ['agent']);
    tokens.agentC = await t.token(AGENT_C, ['agent']);
    tokens.supervisor = await t.token(SUPERVISOR, ['supervisor']);
    tokens.admin = await t.token(ADMIN, ['admin']);
    tokens.integration = await t.token(INTEGRATION, ['integration']);
    // Each would be let through with every role, were it not for what is wrong with it.
    const now = t.clock.now();
    const otherKey = (await generateSigningKey()).key;
    badTokens['no token'] = undefined;
    badTokens['expired token'] = await t.token(SUPERVISOR, ROLES, { ttlMs: 60_000, now: new Date(now.getTime() - 2 * HOUR) });
    badTokens['wrong signature'] = await issueToken(otherKey, { sub: SUPERVISOR, roles: ROLES, ttlMs: HOUR, now });
    badTokens['wrong issuer'] = await t.token(SUPERVISOR, ROLES, { issuer: 'https://idp.evil.example.com' });
    badTokens['wrong audience'] = await t.token(SUPERVISOR, ROLES, { audience: 'another-api' });
    badTokens['alg none'] = unsignedToken(SUPERVISOR, now);

    const answer = await send(t, 'GET', '/api/docs-json', undefined);
    expect(answer.statusCode).toBe(200);
    doc = answer.body;
    documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
  });
  afterAll(async () => {
    await t.close();
  });

  /** A fresh conversation in this state, in q1: opened by the channel, held by agent-a from pick on. */
  const fixture = async (setup: Setup): Promise<string> => {
    if (setup === 'none') return '';
    if (setup === 'webhook') return (await must(t, 'POST', '/api/webhooks', tokens.admin, { url: WEBHOOK_URL, paused: true })).body.id;
    const id = `m-${++seq}`;
    const channel = setup === 'held-record' ? 'record' : setup === 'waiting' ? 'persistent_chat' : 'live_chat';
    const on = (route: string) => `/api/conversations/${id}/${route}`;
    await must(t, 'POST', '/api/conversations', tokens.channel, { id, channel, queueId: 'q1', customerId: `cust-${id}` });
    if (setup === 'open') return id;
    if (setup === 'pushed') {
      await must(t, 'POST', on('assign'), tokens.supervisor, { agentId: AGENT_A });
      return id;
    }
    await must(t, 'POST', on('pick'), tokens.agent, {});
    if (setup === 'waiting') await must(t, 'POST', on('close-session'), tokens.agent, {});
    if (setup === 'agent-disconnected') await must(t, 'POST', on('agent-disconnect'), tokens.agent, {});
    if (setup === 'customer-disconnected') await must(t, 'POST', on('customer-disconnect'), tokens.channel, {});
    if (setup === 'consulting') await must(t, 'POST', on('consult'), tokens.agent, { consultantId: AGENT_C });
    return id;
  };

  const sharedFixture = async (route: string): Promise<string> => {
    if (!shared.has(route)) shared.set(route, await fixture(ROUTES[route].setup));
    return shared.get(route) as string;
  };

  const requestOf = (route: string, conversationId: string, role: Role) => {
    const [method, template] = route.split(' ') as [Method, string];
    const row = ROUTES[route];
    const url = template.replace('{id}', row.id ?? conversationId) + (row.query ?? '');
    return { method, url, body: hasBody(method) ? (row.body?.(role) ?? {}) : undefined };
  };

  /** Sends a request that must be refused, and checks that the log did not move. */
  const refused = async (method: Method, url: string, token: string | undefined, body?: object): Promise<Answer> => {
    const head = await t.store.headPosition();
    const answer = await send(t, method, url, token, body);
    expect({ url, status: answer.statusCode, headAfter: await t.store.headPosition() }).toEqual({
      url,
      status: answer.statusCode,
      headAfter: head,
    });
    return answer;
  };

  /** Allowed: not refused for who is calling; with the scene set for it, the command or read succeeds (2xx). */
  const expectAllowed = (answer: Answer, what: string) => {
    if (answer.statusCode < 200 || answer.statusCode > 299)
      throw new Error(`${what}: expected an allowed (2xx) answer, got ${answer.statusCode}: ${answer.text}`);
  };

  it('the OpenAPI document lists exactly these routes, each protected one stating bearer auth, 401 and 403', () => {
    const isPublic = (route: string) => PUBLIC_ROUTES.includes(route) || / \/api\/docs/.test(route);
    expect(documented.filter((route) => !isPublic(route)).sort()).toEqual(Object.keys(ROUTES).sort());
    for (const route of Object.keys(ROUTES)) {
      const [method, path] = route.split(' ');
      const operation = doc.paths[path][method.toLowerCase()];
      expect({ route, security: operation.security }).toEqual({ route, security: [{ bearer: [] }] });
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403']));
    }
  });

  it("PERMISSIONS: every action a role may perform has a route, and none of the service's own actions has one", () => {
    const routed = new Set(Object.values(ROUTES).map((row) => row.action));
    for (const [action, rule] of Object.entries(PERMISSIONS)) {
      expect({ action, routed: routed.has(action as ApiAction) }).toEqual({ action, routed: Object.keys(rule).length > 0 });
    }
  });

  it('the public routes answer without credentials', async () => {
    for (const url of ['/health', '/api/docs-json', '/api/docs']) {
      const answer = await send(t, 'GET', url, undefined);
      expect({ url, status: answer.statusCode }).toEqual({ url, status: 200 });
    }
  });

  describe.each(Object.keys(ROUTES))('%s', (route) => {
    const row = ROUTES[route];
    const rule = PERMISSIONS[row.action];
    const firstAllowed = (Object.keys(rule) as Role[])[0];

    it.each(CASES as unknown as Case[])('%s', async (kase: Case) => {
      expect(documented).toContain(route);

      if ((CREDENTIAL_CASES as readonly string[]).includes(kase)) {
        const { method, url, body } = requestOf(route, await sharedFixture(route), firstAllowed);
        const token = badTokens[kase as CredentialCase];
        const answer = await refused(method, url, token, body);
        expect(answer.statusCode).toBe(401);
        expect(answer.body).toMatchObject({ code: kase === 'no token' ? 'AUTH.MISSING_CREDENTIALS' : 'AUTH.INVALID_TOKEN' });
        expect(answer.body.message).toMatch(REASON[kase as CredentialCase]);
        expect(answer.headers['www-authenticate']).toMatch(kase === 'no token' ? /^Bearer$/ : /^Bearer error="invalid_token"/);
        if (token !== undefined) {
          for (const part of [token, ...token.split('.').filter((segment) => segment.length > 8)]) expect(answer.text).not.toContain(part);
        }
        return;
      }

      if (kase === 'another agent') {
        // agent-b on agent-a's conversation or record (path, holder or body naming agent-a).
        const relation: Relation | undefined = rule.agent;
        const { method, url } = requestOf(route, await sharedFixture(route), 'agent');
        const body = hasBody(method) ? (row.otherAgent?.body ?? row.body?.('agent') ?? {}) : undefined;
        if (relation === 'any') {
          expectAllowed(await send(t, method, url, tokens.agentB, body), `${route} by ${AGENT_B}`);
          return;
        }
        const answer = await refused(method, url, tokens.agentB, body);
        expect({ status: answer.statusCode, code: answer.body?.code }).toEqual({ status: 403, code: 'AUTH.FORBIDDEN' });
        expect(answer.body).toMatchObject(
          relation === undefined ? { action: row.action, needed: rule } : (row.otherAgent?.names ?? { relation }),
        );
        return;
      }

      const role = kase as Role;
      const subOf: Record<Role, string> = {
        channel: tokens.channel,
        agent: row.agent === AGENT_C ? tokens.agentC : tokens.agent,
        supervisor: tokens.supervisor,
        admin: tokens.admin,
        integration: tokens.integration,
      };
      if (rule[role] !== undefined) {
        const { method, url, body } = requestOf(route, await fixture(row.setup), role);
        expectAllowed(await send(t, method, url, subOf[role], body), `${route} as ${role}`);
        return;
      }
      const { method, url, body } = requestOf(route, await sharedFixture(route), firstAllowed);
      const answer = await refused(method, url, subOf[role], body);
      expect({ status: answer.statusCode, code: answer.body?.code }).toEqual({ status: 403, code: 'AUTH.FORBIDDEN' });
      // The refusal names what was needed: the action, its rule, and each role it allows.
      expect(answer.body).toMatchObject({ action: row.action, needed: rule });
      for (const allowed of Object.keys(rule)) expect(answer.body.message).toContain(allowed);
    });
  });
});

describe("credentials beyond the matrix (on GET /api/audit, a supervisor's read)", () => {
  let t: TestApp;
  let key: SigningKey;

  beforeAll(async () => {
    t = await startApp({ provision: 'none' });
    key = t.signingKey as SigningKey;
  });
  afterAll(async () => {
    await t.close();
  });

  /** A JWT signed by the app's own key, with exactly these claims. */
  const signed = (claims: Record<string, unknown>) => {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: key.kid });
    return jwt.sign(key.privateKey);
  };
  const iat = () => Math.floor(t.clock.now().getTime() / 1000);
  const good = () => ({
    sub: SUPERVISOR,
    roles: ['supervisor'],
    iss: EMBEDDED_ISSUER,
    aud: EMBEDDED_AUDIENCE,
    iat: iat(),
    exp: iat() + 3600,
  });
  const audit = (authorization: string) => t.request({ method: 'GET', url: '/api/audit', headers: { authorization } });

  it("a well-formed token signed by the app's key is let in (the control)", async () => {
    expect((await audit(`Bearer ${await signed(good())}`)).statusCode).toBe(200);
    expect((await audit(`bearer ${await signed(good())}`)).statusCode).toBe(200);
  });

  it.each([
    ['no exp', () => signed({ ...good(), exp: undefined }), /exp/],
    ['no sub', () => signed({ ...good(), sub: undefined }), /sub/],
    ['a sub the audit trail cannot record', () => signed({ ...good(), sub: 'sup 1/../x' }), /sub/],
    ['not valid yet (nbf in an hour)', () => signed({ ...good(), nbf: iat() + 3600 }), /not valid yet/],
    [
      'HS256 with the public key as the secret',
      async () => {
        const publicJwk = await exportJWK(key.publicKey);
        return new SignJWT(good()).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
      },
      /algorithm/,
    ],
    [
      'a tampered payload (roles raised)',
      async () => {
        const [header, , signature] = (await t.token('chan-x', ['channel'])).split('.');
        return `${header}.${base64url({ ...good(), sub: 'chan-x' })}.${signature}`;
      },
      /signature/,
    ],
  ])('%s: 401 AUTH.INVALID_TOKEN', async (_name, make, reason) => {
    const token = await make();
    const answer = await audit(`Bearer ${token}`);
    expect(answer.statusCode).toBe(401);
    expect(answer.body).toMatchObject({ code: 'AUTH.INVALID_TOKEN' });
    expect(answer.body.message).toMatch(reason);
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
    expect(answer.text).not.toContain(token);
  });

  it.each([
    ['Basic credentials', `Basic ${Buffer.from('sup-1:secret').toString('base64')}`],
    ['Bearer and nothing', 'Bearer '],
    ['two tokens', 'Bearer a.b.c d.e.f'],
  ])('%s: 401 AUTH.INVALID_TOKEN (not "missing")', async (_name, authorization) => {
    const answer = await audit(authorization);
    expect({ status: answer.statusCode, code: answer.body?.code }).toEqual({ status: 401, code: 'AUTH.INVALID_TOKEN' });
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(answer.text).not.toContain('secret');
  });

  it.each([
    ['roles this service does not know', { roles: ['root', 'Supervisor'] }],
    ['roles as a string, not a list', { roles: 'supervisor' }],
    ['no roles claim', { roles: undefined }],
  ])('%s: 403 AUTH.FORBIDDEN naming what was needed', async (_name, claims) => {
    const answer = await audit(`Bearer ${await signed({ ...good(), ...claims })}`);
    expect({ status: answer.statusCode, code: answer.body?.code }).toEqual({ status: 403, code: 'AUTH.FORBIDDEN' });
    expect(answer.body).toMatchObject({ action: 'AuditIndex', needed: PERMISSIONS.AuditIndex });
    expect(answer.body.message).toContain('no role this service knows');
  });
});

// ---------------------------------------------------------------------------------------------
// 2. The actor is the principal
// ---------------------------------------------------------------------------------------------

interface HistoryEntry {
  type: string;
  actor: { kind: string; id: string };
  principal?: { id: string; role: string };
  details: Record<string, unknown>;
}

describe('the actor is the principal', () => {
  let t: TestApp;
  const tok = {} as Record<'channel' | 'a' | 'b' | 'sup', string>;
  let seq = 0;

  beforeAll(async () => {
    // Timers on (one pass an hour: only the passes a test runs), for the service's own events.
    t = await startApp({ provision: 'none', env: { TIMERS: 'on', TIMER_POLL_INTERVAL: '1h' } });
    await createWorld(t);
    const admin = await t.token(ADMIN, ['admin']);
    // agent-b serves q1 too here, so that it may pick there.
    await must(t, 'POST', '/api/agents', admin, { id: AGENT_B, capacity: 1000, queueIds: ['q1', 'q2'], presence: 'available' });
    tok.channel = await t.token(CHANNEL, ['channel']);
    tok.a = await t.token(AGENT_A, ['agent']);
    tok.b = await t.token(AGENT_B, ['agent']);
    tok.sup = await t.token(SUPERVISOR, ['supervisor']);
  });
  afterAll(async () => {
    await t.close();
  });

  const open = async (): Promise<string> => {
    const id = `p-${++seq}`;
    await must(t, 'POST', '/api/conversations', tok.channel, { id, channel: 'live_chat', queueId: 'q1', customerId: `cust-${id}` });
    return id;
  };
  const history = async (id: string): Promise<HistoryEntry[]> =>
    (await must(t, 'GET', `/api/conversations/${id}/history`, tok.sup)).body.events;
  const expectRefusedUnwritten = async (url: string, token: string, body: object) => {
    const head = await t.store.headPosition();
    const answer = await send(t, 'POST', url, token, body);
    expect({ url, status: answer.statusCode, code: answer.body?.code }).toEqual({ url, status: 403, code: 'AUTH.FORBIDDEN' });
    expect(answer.body).toMatchObject({ field: 'agentId' });
    expect(answer.body.message).toContain(AGENT_A);
    expect(await t.store.headPosition()).toBe(head);
  };

  it('an agent naming another agent in agentId (pick, end, release) is refused 403 and writes nothing', async () => {
    const waiting = await open();
    await expectRefusedUnwritten(`/api/conversations/${waiting}/pick`, tok.a, { agentId: AGENT_B });
    // Even on the conversation the named agent really holds.
    const heldByB = await open();
    await must(t, 'POST', `/api/conversations/${heldByB}/pick`, tok.b, {});
    await expectRefusedUnwritten(`/api/conversations/${heldByB}/end`, tok.a, { by: 'agent', agentId: AGENT_B });
    await expectRefusedUnwritten(`/api/conversations/${heldByB}/release`, tok.a, { agentId: AGENT_B });
    expect((await history(heldByB)).map((e) => e.type)).toEqual(['ConversationOpened', 'ConversationPicked']);
    expect((await must(t, 'GET', `/api/conversations/${waiting}`, tok.sup)).body.status).toBe('open');
  });

  it('with agentId left out the agent acts as itself (pick, end, release)', async () => {
    const a = await open();
    expect((await must(t, 'POST', `/api/conversations/${a}/pick`, tok.a, {})).body.status).toBe('active');
    expect((await must(t, 'POST', `/api/conversations/${a}/end`, tok.a, { by: 'agent' })).body.status).toBe('wrap_up');
    const b = await open();
    await must(t, 'POST', `/api/conversations/${b}/pick`, tok.a, {});
    expect((await must(t, 'POST', `/api/conversations/${b}/release`, tok.a, {})).body.status).toBe('open');
    // Naming itself is the same thing.
    const c = await open();
    expect((await must(t, 'POST', `/api/conversations/${c}/pick`, tok.a, { agentId: AGENT_A })).body.status).toBe('active');

    const asA = { actor: { kind: 'agent', id: AGENT_A }, principal: { id: AGENT_A, role: 'agent' } };
    expect(await history(a)).toMatchObject([
      { type: 'ConversationOpened' },
      { type: 'ConversationPicked', ...asA, details: { agentId: AGENT_A } },
      { type: 'ConversationEndedByAgent', ...asA, details: { agentId: AGENT_A } },
    ]);
    expect(await history(b)).toMatchObject([
      { type: 'ConversationOpened' },
      { type: 'ConversationPicked', ...asA },
      { type: 'ConversationReleasedToQueue', ...asA, reason: 'agent_released_to_queue', details: { agentId: AGENT_A } },
    ]);
  });

  it("the history names for each event the principal that caused it, and the system for the service's own", async () => {
    const id = await open();
    const on = (route: string) => `/api/conversations/${id}/${route}`;
    await must(t, 'POST', on('pick'), tok.a, {});
    await must(t, 'POST', on('monitor'), tok.sup, {});
    const disconnected = await must(t, 'POST', on('agent-disconnect'), tok.a, {});
    t.clock.advance(5 * 60_000);
    const pass = await fireDueTimers(t, disconnected.body.position);
    expect(pass.fired).toBeGreaterThanOrEqual(1);
    await must(t, 'POST', on('close'), tok.sup, { reason: 'duplicate' });

    const events = await history(id);
    expect(events.map((e) => [e.type, e.principal])).toEqual([
      ['ConversationOpened', { id: CHANNEL, role: 'channel' }],
      ['ConversationPicked', { id: AGENT_A, role: 'agent' }],
      ['MonitoringStarted', { id: SUPERVISOR, role: 'supervisor' }],
      ['AgentDisconnected', { id: AGENT_A, role: 'agent' }],
      ['ConversationRequeuedAfterAgentDisconnect', { id: 'agent-disconnect-timer', role: 'system' }],
      ['ConversationForceClosed', { id: SUPERVISOR, role: 'supervisor' }],
    ]);
    // The domain's actor agrees with the principal wherever a person acted.
    expect(events.map((e) => e.actor)).toEqual([
      { kind: 'customer', id: `cust-${id}` },
      { kind: 'agent', id: AGENT_A },
      { kind: 'supervisor', id: SUPERVISOR },
      { kind: 'agent', id: AGENT_A },
      { kind: 'system', id: 'agent-disconnect-timer' },
      { kind: 'supervisor', id: SUPERVISOR },
    ]);
  });

  it("a supervisor releasing on agent-a's behalf is recorded as the supervisor, with agent-a as the agent released", async () => {
    const id = await open();
    await must(t, 'POST', `/api/conversations/${id}/pick`, tok.a, {});
    expect((await must(t, 'POST', `/api/conversations/${id}/release`, tok.sup, { agentId: AGENT_A })).body.status).toBe('open');
    const last = (await history(id)).at(-1);
    expect(last).toMatchObject({
      type: 'ConversationReleasedToQueue',
      actor: { kind: 'supervisor', id: SUPERVISOR },
      principal: { id: SUPERVISOR, role: 'supervisor' },
      reason: 'supervisor_released_to_queue',
      details: { agentId: AGENT_A },
    });
  });
});

// ---------------------------------------------------------------------------------------------
// 3. What an agent may read
// ---------------------------------------------------------------------------------------------

describe('read relations of an agent', () => {
  let t: TestApp;
  const tok = {} as Record<'channel' | 'a' | 'b' | 'c' | 'sup', string>;
  let position = 0;

  beforeAll(async () => {
    t = await startApp({ provision: 'none' });
    await createWorld(t);
    tok.channel = await t.token(CHANNEL, ['channel']);
    tok.a = await t.token(AGENT_A, ['agent']);
    tok.b = await t.token(AGENT_B, ['agent']);
    tok.c = await t.token(AGENT_C, ['agent']);
    tok.sup = await t.token(SUPERVISOR, ['supervisor']);
    const step = async (url: string, token: string, body: object) => {
      position = (await must(t, 'POST', url, token, body)).body.position;
    };
    const open = (id: string, queueId: string) =>
      step('/api/conversations', tok.channel, { id, channel: 'live_chat', queueId, customerId: `cust-${id}` });
    // held-then-closed: in q2 (which agent-a does not serve), given to agent-a by force, ended and closed by it.
    await open('held-then-closed', 'q2');
    await step('/api/conversations/held-then-closed/assign', tok.sup, { agentId: AGENT_A, force: true });
    await step('/api/conversations/held-then-closed/end', tok.a, { by: 'agent' });
    await step('/api/conversations/held-then-closed/close-session', tok.a, {});
    // untouched: open in q2, nobody did anything.
    await open('untouched', 'q2');
    // open-in-q1: waiting in agent-a's queue.
    await open('open-in-q1', 'q1');
    // taken-in-q1: was open in q1, now held by agent-b (forced), consulted by agent-c.
    await open('taken-in-q1', 'q1');
    await step('/api/conversations/taken-in-q1/assign', tok.sup, { agentId: AGENT_B, force: true });
    await step('/api/conversations/taken-in-q1/consult', tok.b, { consultantId: AGENT_C });
    // held-now: agent-a holds it.
    await open('held-now', 'q1');
    await step('/api/conversations/held-now/pick', tok.a, {});
  });
  afterAll(async () => {
    await t.close();
  });

  const read = (url: string, token: string) => send(t, 'GET', url, token);
  const expectForbidden = async (url: string, token: string, relation: Relation) => {
    const answer = await read(url, token);
    expect({ url, status: answer.statusCode, code: answer.body?.code, relation: answer.body?.relation }).toEqual({
      url,
      status: 403,
      code: 'AUTH.FORBIDDEN',
      relation,
    });
    return answer;
  };
  const expectOk = async (url: string, token: string) => {
    const answer = await read(url, token);
    expect({ url, status: answer.statusCode }).toEqual({ url, status: 200 });
    return answer;
  };

  it("its own work items, not another agent's", async () => {
    const mine = await expectOk(`/api/agents/${AGENT_A}/work-items?minPosition=${position}`, tok.a);
    expect(mine.body.items.map((item: { id: string; conversationId?: string }) => item.conversationId ?? item.id)).toContain('held-now');
    await expectOk(`/api/agents/${AGENT_A}/closed-work-items?minPosition=${position}`, tok.a);
    await expectOk(`/api/agents/${AGENT_A}`, tok.a);
    for (const path of ['work-items', 'closed-work-items', '']) {
      await expectForbidden(`/api/agents/${AGENT_B}${path ? `/${path}` : ''}`, tok.a, 'self');
    }
    // A supervisor reads anyone's.
    await expectOk(`/api/agents/${AGENT_B}/work-items`, tok.sup);
  });

  it('a conversation it holds or held, or that is open in a queue it serves; not one it never touched', async () => {
    for (const id of ['held-now', 'held-then-closed', 'open-in-q1']) {
      await expectOk(`/api/conversations/${id}`, tok.a);
      await expectOk(`/api/conversations/${id}/history`, tok.a);
    }
    for (const id of ['untouched', 'taken-in-q1']) {
      const answer = await expectForbidden(`/api/conversations/${id}`, tok.a, 'involved');
      expect(answer.body.message).toContain(AGENT_A);
      await expectForbidden(`/api/conversations/${id}/history`, tok.a, 'involved');
    }
    // Served by agent-b: open in its queue; closed by agent-a, whom agent-b never relieved: not for agent-b.
    await expectOk('/api/conversations/untouched', tok.b);
    await expectForbidden('/api/conversations/held-then-closed', tok.b, 'involved');
    // The consultant reads what it consults on; the holder too.
    await expectOk('/api/conversations/taken-in-q1/history', tok.c);
    await expectOk('/api/conversations/taken-in-q1', tok.b);
  });

  it('queue work items only for the queues it serves', async () => {
    const q1 = await expectOk(`/api/queues/q1/work-items?minPosition=${position}`, tok.a);
    expect(q1.body.items.map((item: { id: string; conversationId?: string }) => item.conversationId ?? item.id)).toContain('open-in-q1');
    await expectForbidden('/api/queues/q2/work-items', tok.a, 'serves-queue');
    await expectOk('/api/queues/q2/work-items', tok.b);
    await expectForbidden('/api/queues/q1/work-items', tok.b, 'serves-queue');
    await expectOk('/api/queues/q2/work-items', tok.sup);
  });
});

// ---------------------------------------------------------------------------------------------
// 4. Rate limits, security headers, CORS
// ---------------------------------------------------------------------------------------------

/** A request from a given client address (the failure limit is per address). */
const from = async (
  t: TestApp,
  remoteAddress: string,
  method: 'GET' | 'POST' | 'OPTIONS',
  url: string,
  headers: Record<string, string>,
  payload?: object,
) => {
  const response: LightMyRequestResponse = await t.app.inject({ method, url, headers, remoteAddress, payload: payload as never });
  return {
    statusCode: response.statusCode,
    headers: response.headers,
    body: response.body === '' ? undefined : JSON.parse(response.body),
    text: response.body,
  };
};

describe('rate limits (AUTH_FAILURES_PER_MINUTE 5, RATE_LIMIT_PER_MINUTE 20)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ provision: 'none', env: { AUTH_FAILURES_PER_MINUTE: '5', RATE_LIMIT_PER_MINUTE: '20' } });
    await createWorld(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it('the 6th failed authentication from one address answers 429 with Retry-After; other addresses are unaffected', async () => {
    const head = await t.store.headPosition();
    const forged = await issueToken((await generateSigningKey()).key, { sub: SUPERVISOR, roles: ROLES, ttlMs: HOUR, now: t.clock.now() });
    const attacker = '10.0.0.66';
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const answer = await from(t, attacker, 'POST', '/api/queues', { authorization: `Bearer ${forged}` }, { id: 'q-evil' });
      statuses.push(answer.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const sixth = await from(t, attacker, 'POST', '/api/queues', { authorization: `Bearer ${forged}` }, { id: 'q-evil' });
    expect(sixth.statusCode).toBe(429);
    expect(sixth.body).toMatchObject({ code: 'AUTH.TOO_MANY_REQUESTS' });
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(sixth.headers['retry-after'])).toBeLessThanOrEqual(60);
    // The address waits, whatever it sends now; no credentials count as a failure too.
    const valid = await t.token(SUPERVISOR, ['supervisor']);
    expect((await from(t, attacker, 'GET', '/api/queues', { authorization: `Bearer ${valid}` })).statusCode).toBe(429);
    // Another address, even with the same bad token, is judged on its own.
    expect((await from(t, '10.0.0.67', 'GET', '/api/queues', { authorization: `Bearer ${forged}` })).statusCode).toBe(401);
    expect((await from(t, '10.0.0.68', 'GET', '/api/queues', { authorization: `Bearer ${valid}` })).statusCode).toBe(200);
    expect(await t.store.headPosition()).toBe(head);
  });

  it('403s are not failed authentications: a caller refused for its role is not locked out', async () => {
    const channel = await t.token('chan-403', ['channel']);
    const address = '10.0.2.2';
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push((await from(t, address, 'GET', '/api/audit', { authorization: `Bearer ${channel}` })).statusCode);
    expect(statuses).toEqual(Array(7).fill(403));
    const supervisor = await t.token('sup-403', ['supervisor']);
    expect((await from(t, address, 'GET', '/api/audit', { authorization: `Bearer ${supervisor}` })).statusCode).toBe(200);
  });

  it('the 21st request of one principal within a minute answers 429; another principal is unaffected', async () => {
    const busy = await t.token('sup-busy', ['supervisor']);
    const calm = await t.token('sup-calm', ['supervisor']);
    const address = '10.0.1.1';
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++)
      statuses.push((await from(t, address, 'GET', '/api/queues', { authorization: `Bearer ${busy}` })).statusCode);
    expect(statuses).toEqual(Array(20).fill(200));
    const head = await t.store.headPosition();
    const over = await from(t, address, 'POST', '/api/conversations/any/monitor', { authorization: `Bearer ${busy}` }, {});
    expect(over.statusCode).toBe(429);
    expect(over.body).toMatchObject({ code: 'AUTH.TOO_MANY_REQUESTS' });
    expect(over.body.message).toContain('sup-busy');
    expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(await t.store.headPosition()).toBe(head);
    // Same address, another principal: its own budget.
    expect((await from(t, address, 'GET', '/api/queues', { authorization: `Bearer ${calm}` })).statusCode).toBe(200);
  });
});

describe('security headers and CORS', () => {
  it('helmet headers on every answer, and no CORS by default', async () => {
    const t = await startApp({ provision: 'none' });
    try {
      const token = await t.token(SUPERVISOR, ['supervisor']);
      const answers = [
        await from(t, '127.0.0.1', 'GET', '/health', { origin: 'https://desk.example.com' }),
        await from(t, '127.0.0.1', 'GET', '/api/queues', { origin: 'https://desk.example.com', authorization: `Bearer ${token}` }),
        await from(t, '127.0.0.1', 'GET', '/api/queues', { origin: 'https://desk.example.com' }),
      ];
      expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 401]);
      for (const answer of answers) {
        expect(answer.headers['x-content-type-options']).toBe('nosniff');
        expect(answer.headers['x-frame-options']).toBe('SAMEORIGIN');
        expect(answer.headers['content-security-policy']).toContain("default-src 'self'");
        expect(answer.headers['access-control-allow-origin']).toBeUndefined();
      }
      const preflight = await from(t, '127.0.0.1', 'OPTIONS', '/api/conversations', {
        origin: 'https://desk.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      });
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await t.close();
    }
  });

  it('with CORS_ORIGINS, a preflight from that origin is allowed and from another origin is not', async () => {
    const t = await startApp({ provision: 'none', env: { CORS_ORIGINS: 'https://desk.example.com' } });
    try {
      const preflight = (origin: string) =>
        from(t, '127.0.0.1', 'OPTIONS', '/api/conversations', {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        });
      const allowed = await preflight('https://desk.example.com');
      expect(allowed.statusCode).toBeLessThan(300);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://desk.example.com');
      expect(String(allowed.headers['access-control-allow-headers']).toLowerCase()).toContain('authorization');
      expect(String(allowed.headers['access-control-allow-methods'])).toContain('POST');
      const other = await preflight('https://evil.example.com');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
      // A real request from the allowed origin may read the answer; one from another may not.
      const token = await t.token(SUPERVISOR, ['supervisor']);
      const get = (origin: string) => from(t, '127.0.0.1', 'GET', '/api/queues', { origin, authorization: `Bearer ${token}` });
      expect((await get('https://desk.example.com')).headers['access-control-allow-origin']).toBe('https://desk.example.com');
      expect((await get('https://evil.example.com')).headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});
