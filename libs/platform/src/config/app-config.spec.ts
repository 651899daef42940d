import { DEFAULT_TIMER_POLICY } from '@lib/domain';
import { ConfigError, loadConfig } from './app-config';

const refusal = (env: Record<string, string>): ConfigError => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
};

describe('configuration', () => {
  it('has a working default for everything', () => {
    expect(loadConfig({})).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      eventStore: 'sqlite',
      bodyLimitBytes: 65536,
      customerReviveWindowMs: 24 * 3_600_000,
      readYourWritesTimeoutMs: 2000,
      closedWorkItemsPruneIntervalMs: 600_000,
      projectorPollIntervalMs: 50,
      projector: 'on',
      readModelsUrl: undefined,
    });
  });

  it('reads durations in every documented form', () => {
    expect(loadConfig({ CUSTOMER_REVIVE_WINDOW: '90s' }).customerReviveWindowMs).toBe(90_000);
    expect(loadConfig({ CUSTOMER_REVIVE_WINDOW: '1500' }).customerReviveWindowMs).toBe(1500);
    expect(loadConfig({ READ_YOUR_WRITES_TIMEOUT: '250ms' }).readYourWritesTimeoutMs).toBe(250);
    expect(loadConfig({ CLOSED_WORK_ITEMS_PRUNE_INTERVAL: '2h' }).closedWorkItemsPruneIntervalMs).toBe(7_200_000);
    expect(loadConfig({ CUSTOMER_REVIVE_WINDOW: '24d' }).customerReviveWindowMs).toBe(24 * 86_400_000);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ EVENT_STORE: 'mongodb' }, 'EVENT_STORE'],
    [{ BODY_LIMIT_BYTES: '10' }, 'BODY_LIMIT_BYTES'],
    [{ CUSTOMER_REVIVE_WINDOW: 'a while' }, 'CUSTOMER_REVIVE_WINDOW'],
    [{ CLOSED_WORK_ITEMS_PRUNE_INTERVAL: '30d' }, 'CLOSED_WORK_ITEMS_PRUNE_INTERVAL'],
    [{ PROJECTOR_POLL_INTERVAL: '0ms' }, 'PROJECTOR_POLL_INTERVAL'],
    [{ READ_MODELS_URL: 'mysql://db/x' }, 'READ_MODELS_URL'],
    [{ READ_MODELS_URL: 'not a url' }, 'READ_MODELS_URL'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
    [{ PROJECTOR: 'sometimes' }, 'PROJECTOR'],
    [{ EVENT_STORE: 'memory', READ_MODELS_URL: 'postgres://127.0.0.1/test' }, 'READ_MODELS_URL'],
    [{ EVENT_STORE: 'memory', PROJECTOR: 'off' }, 'PROJECTOR'],
    [{ EVENT_STORE: 'eventstoredb' }, 'ESDB_CONNECTION_STRING'],
    [{ EVENT_STORE: 'eventstoredb', ESDB_CONNECTION_STRING: 'http://localhost:2113' }, 'ESDB_CONNECTION_STRING'],
    [{ EVENT_STORE: 'eventstoredb', ESDB_CONNECTION_STRING: 'localhost:2113' }, 'ESDB_CONNECTION_STRING'],
    [{ EVENT_STORE: 'eventstoredb', ESDB_CONNECTION_STRING: 'esdb://' }, 'ESDB_CONNECTION_STRING'],
    [{ ESDB_CONNECTION_STRING: 'esdb://localhost:2113?tls=false' }, 'ESDB_CONNECTION_STRING'],
  ])('refuses %j naming %s', (env, key) => {
    const error = refusal(env);
    expect(error.key).toBe(key);
    expect(error.message).toMatch(new RegExp(`^Invalid configuration ${key}: `));
  });

  describe('with EVENT_STORE=eventstoredb', () => {
    const esdb = { EVENT_STORE: 'eventstoredb', ESDB_CONNECTION_STRING: 'esdb://localhost:2113?tls=false' };

    it('takes a single-node or a discovery connection string', () => {
      expect(loadConfig(esdb)).toMatchObject({ eventStore: 'eventstoredb', esdbConnectionString: 'esdb://localhost:2113?tls=false' });
      const cluster = 'esdb+discover://admin:changeit@cluster.example.com:2113?tls=true&nodePreference=leader';
      expect(loadConfig({ ...esdb, ESDB_CONNECTION_STRING: cluster }).esdbConnectionString).toBe(cluster);
    });

    it('keeps the views in PostgreSQL or in SQLite under DATA_DIR, kept here or by another instance', () => {
      expect(loadConfig({ ...esdb, READ_MODELS_URL: 'postgres://db/views' }).readModelsUrl).toBe('postgres://db/views');
      expect(loadConfig({ ...esdb, DATA_DIR: '/var/lib/views' })).toMatchObject({ dataDir: '/var/lib/views', readModelsUrl: undefined });
      expect(loadConfig({ ...esdb, READ_MODELS_URL: 'postgres://db/views', PROJECTOR: 'off' }).projector).toBe('off');
    });

    it('leaves the connection string unset for the other stores', () => {
      expect(loadConfig({}).esdbConnectionString).toBeUndefined();
    });
  });
});

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

describe('timer configuration', () => {
  it('defaults to the documented policy (docs/architecture.md, "Timers"), a 5 minute sweep and a 1 second poll', () => {
    const config = loadConfig({});
    expect(config.timerPolicy).toEqual(DEFAULT_TIMER_POLICY);
    expect(config.autoCloseSweepIntervalMs).toBe(5 * MINUTE);
    expect(config.timerPollIntervalMs).toBe(1000);
    expect(config.timers).toBe('on');
  });

  it('an auto-close variable replaces the statuses it names and keeps the others', () => {
    const config = loadConfig({ AUTO_CLOSE_LIVE_CHAT: 'open=2s, active=1h', AUTO_CLOSE_SMS: 'waiting=never' });
    expect(config.timerPolicy.autoClose.live_chat).toEqual({ open: 2000, active: 60 * MINUTE, waiting: null, wrap_up: 15 * MINUTE });
    expect(config.timerPolicy.autoClose.sms).toEqual({ open: 30 * DAY, active: 30 * DAY, waiting: null, wrap_up: DAY });
    expect(config.timerPolicy.autoClose.voice).toEqual(DEFAULT_TIMER_POLICY.autoClose.voice);
  });

  it('reads every other duration, beyond the 24 days a Node timer can wait', () => {
    const config = loadConfig({
      PUSH_RESERVATION_TIMEOUT: '30s',
      AGENT_DISCONNECT_TIMEOUT: '90s',
      CUSTOMER_DISCONNECT_TIMEOUT: '1m',
      WAITING_INACTIVITY_TIMEOUT: '60d',
      AUTO_CLOSE_SWEEP_INTERVAL: '1m',
      TIMER_POLL_INTERVAL: '250ms',
      TIMERS: 'off',
    });
    expect(config.timerPolicy).toMatchObject({
      pushReservationTimeoutMs: 30_000,
      agentDisconnectTimeoutMs: 90_000,
      customerDisconnectTimeoutMs: MINUTE,
      waitingInactivityTimeoutMs: 60 * DAY,
    });
    expect(config).toMatchObject({ autoCloseSweepIntervalMs: MINUTE, timerPollIntervalMs: 250, timers: 'off' });
  });

  it.each([
    [{ AUTO_CLOSE_LIVE_CHAT: 'open=soon' }, 'AUTO_CLOSE_LIVE_CHAT', /"soon" \(open\) is not a duration/],
    [
      { AUTO_CLOSE_LIVE_CHAT: 'waiting=1h' },
      'AUTO_CLOSE_LIVE_CHAT',
      /"waiting" is not a status live_chat can auto-close from; use open, active, wrap_up/,
    ],
    [{ AUTO_CLOSE_VOICE: 'closed=1h' }, 'AUTO_CLOSE_VOICE', /"closed" is not a status/],
    [{ AUTO_CLOSE_SMS: 'open=1h,open=2h' }, 'AUTO_CLOSE_SMS', /"open" is given twice/],
    [{ AUTO_CLOSE_TEAMS: '30d' }, 'AUTO_CLOSE_TEAMS', /"30d" is not status=duration, as in open=30d,active=30d,waiting=30d,wrap_up=1d/],
    [{ AUTO_CLOSE_RECORD: 'open=0s' }, 'AUTO_CLOSE_RECORD', /must be longer than 0; use never to turn it off/],
    [{ AUTO_CLOSE_PERSISTENT_CHAT: 'open=400d' }, 'AUTO_CLOSE_PERSISTENT_CHAT', /longer than the longest supported, 365d/],
    [{ PUSH_RESERVATION_TIMEOUT: 'never' }, 'PUSH_RESERVATION_TIMEOUT', /"never" is not a duration/],
    [{ CUSTOMER_DISCONNECT_TIMEOUT: '0' }, 'CUSTOMER_DISCONNECT_TIMEOUT', /must be longer than 0/],
    [{ TIMER_POLL_INTERVAL: '30d' }, 'TIMER_POLL_INTERVAL', /longer than the longest supported, 24d/],
    [{ TIMERS: 'sometimes' }, 'TIMERS', /not one of on, off/],
    [{ AUTO_CLOSE_RECORD: 'wrap_up=1d' }, 'AUTO_CLOSE_RECORD', /"wrap_up" is not a status record can auto-close from; use open, active/],
  ])('refuses %j, naming %s', (env, key, message) => {
    const error = refusal(env as Record<string, string>);
    expect(error.key).toBe(key);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(key);
  });
});

describe('WEBHOOK_SECRETS_KEY', () => {
  it('takes 32 bytes in base64, and refuses anything else without echoing it', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ WEBHOOK_SECRETS_KEY: key }).webhookSecretsKey).toBe(key);
    expect(loadConfig({}).webhookSecretsKey).toBeUndefined();
    for (const bad of ['c2hvcnQ=', 'not base64 at all!', Buffer.alloc(31, 1).toString('base64')]) {
      expect(() => loadConfig({ WEBHOOK_SECRETS_KEY: bad })).toThrow(/WEBHOOK_SECRETS_KEY.*32 random bytes/);
      try {
        loadConfig({ WEBHOOK_SECRETS_KEY: bad });
      } catch (error) {
        expect(String(error)).not.toContain(bad);
      }
    }
  });
});

describe("the desk's OpenID Connect sign-in (DESK_OIDC_*)", () => {
  const IDP = { AUTH_JWKS_URL: 'https://idp.example.com/jwks', AUTH_ISSUER: 'https://idp.example.com/realms/acme' };

  it('is off by default, and on with a client id against the identity provider of AUTH_ISSUER', () => {
    expect(loadConfig({}).deskOidc).toBeUndefined();
    expect(loadConfig(IDP).deskOidc).toBeUndefined();
    expect(loadConfig({ ...IDP, DESK_OIDC_CLIENT_ID: 'agent-desk' }).deskOidc).toEqual({
      clientId: 'agent-desk',
      scopes: ['openid', 'profile'],
    });
    expect(
      loadConfig({
        ...IDP,
        DESK_OIDC_CLIENT_ID: '0f3c1a2b-desk',
        DESK_OIDC_SCOPES: ' openid  roles openid ',
        DESK_OIDC_RESOURCE: 'https://work-items.example.com/api',
      }).deskOidc,
    ).toEqual({ clientId: '0f3c1a2b-desk', scopes: ['openid', 'roles'], resource: 'https://work-items.example.com/api' });
    expect(
      loadConfig({ AUTH_JWKS_URL: 'http://127.0.0.1:4000/jwks', AUTH_ISSUER: 'http://127.0.0.1:4000', DESK_OIDC_CLIENT_ID: 'desk' })
        .deskOidc,
    ).toMatchObject({ clientId: 'desk' });
  });

  it.each([
    [{ DESK_OIDC_CLIENT_ID: 'desk' }, 'DESK_OIDC_CLIENT_ID', /needs AUTH_JWKS_URL/],
    [{ ...IDP, DESK_OIDC_CLIENT_ID: 'has space' }, 'DESK_OIDC_CLIENT_ID', /visible characters/],
    [{ ...IDP, DESK_OIDC_CLIENT_ID: 'desk', DESK_OIDC_SCOPES: 'profile email' }, 'DESK_OIDC_SCOPES', /must include openid/],
    [{ ...IDP, DESK_OIDC_CLIENT_ID: 'desk', DESK_OIDC_SCOPES: 'openid "x"' }, 'DESK_OIDC_SCOPES', /is not a scope/],
    [{ ...IDP, DESK_OIDC_CLIENT_ID: 'desk', DESK_OIDC_RESOURCE: 'work-items' }, 'DESK_OIDC_RESOURCE', /absolute URI/],
    [{ ...IDP, DESK_OIDC_CLIENT_ID: 'desk', DESK_OIDC_RESOURCE: 'https://api.example.com/#x' }, 'DESK_OIDC_RESOURCE', /without a fragment/],
    [{ ...IDP, AUTH_ISSUER: 'acme', DESK_OIDC_CLIENT_ID: 'desk' }, 'AUTH_ISSUER', /https:\/\/ issuer URL/],
    [{ ...IDP, AUTH_ISSUER: 'http://idp.example.com', DESK_OIDC_CLIENT_ID: 'desk' }, 'AUTH_ISSUER', /http:\/\/ only on localhost/],
    [{ DESK_OIDC_SCOPES: 'openid' }, 'DESK_OIDC_SCOPES', /DESK_OIDC_CLIENT_ID is not/],
    [{ ...IDP, DESK_OIDC_RESOURCE: 'https://api.example.com' }, 'DESK_OIDC_RESOURCE', /DESK_OIDC_CLIENT_ID is not/],
  ])('refuses %j naming %s', (env, key, message) => {
    const error = refusal(env as Record<string, string>);
    expect(error.message).toContain(key);
    expect(error.message).toMatch(message);
  });
});
