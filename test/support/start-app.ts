import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import { e2eLogDestination } from './e2e-log';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../apps/api/src/app.factory';
import { ManualClock } from '@lib/conversation-lifecycle';
import { EVENT_STORE, InMemoryEventStore, SqliteEventStore, type EventStore } from '@lib/event-store';
import { generateSigningKey, issueToken, loadConfig, type Role, type SigningKey } from '@lib/platform';
import { documentedAnswers } from './documented-answers';
import { OnDemandProvisioning } from './provisioning';
import { principalClaimedBy } from './test-principal';

/**
 * A parsed JSON answer body as the tests read it: reached into freely, since what types it is the
 * service's OpenAPI document, which every answer is checked against (documented-answers.ts).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the one untyped answer body of the tests, named
export type JsonBody = any;

/** What a test needs from one answer: status code, headers and the parsed JSON body. */
export interface Answer<Body = JsonBody> {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: Body;
  text: string;
}

export interface StartAppOptions {
  /** Environment handed to loadConfig on top of the test defaults. */
  env?: Record<string, string>;
  /**
   * 'memory' (default: events and read models in memory) or 'sqlite' (events.sqlite and
   * read-models.sqlite in a temp DATA_DIR, removed on close), or 'eventstoredb' (the service
   * opens the store itself from `esdbConnectionString`, as in production; views in a temp
   * DATA_DIR unless `env` sets READ_MODELS_URL).
   */
  store?: 'memory' | 'sqlite' | 'eventstoredb';
  /** With store 'eventstoredb': ESDB_CONNECTION_STRING. */
  esdbConnectionString?: string;
  /**
   * With store 'sqlite': use this existing directory as DATA_DIR instead of a fresh temp one,
   * and leave it in place on close (to restart an app on the same files). The caller removes it.
   */
  dataDir?: string;
  clockStart?: string;
  /**
   * 'on-demand' (default): queues and agents a suite names are created before the request that
   * needs them (see OnDemandProvisioning); 'none': the suite creates them itself.
   */
  provision?: 'on-demand' | 'none';
  /** Where the app's log lines go (default: this run's e2e log file, at LOG_LEVEL log unless env sets it). */
  logDestination?: DestinationStream;
}

export interface TestApp {
  app: NestFastifyApplication;
  clock: ManualClock;
  store: EventStore;
  /** DATA_DIR of a 'sqlite' app (holds events.sqlite and read-models.sqlite) or an 'eventstoredb' one; undefined in memory. */
  dataDir?: string;
  post<B = JsonBody>(path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer<B>>;
  /**
   * Creates now the queues and agents a POST of this path and body would have provisioned, so a
   * suite can measure the log around the POST itself (no-op with provision 'none').
   */
  provision(path: string, body?: unknown): Promise<void>;
  get<B = JsonBody>(path: string, headers?: Record<string, string>): Promise<Answer<B>>;
  /** A bearer token signed by the app's embedded key (default lifetime 1 h, on the app's clock). */
  token(sub: string, roles: readonly Role[], options?: { ttlMs?: number; issuer?: string; audience?: string; now?: Date }): Promise<string>;
  /** The app's embedded signing key (undefined with an identity provider configured). */
  signingKey?: SigningKey;
  /** Anything else (raw payloads, other methods). */
  request<B = JsonBody>(options: {
    method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
    url: string;
    payload?: string | Buffer | object;
    headers?: Record<string, string>;
    /**
     * false: do not check this answer against the OpenAPI document. Only for requests the
     * framework answers before any route runs (an unknown route), which no document describes.
     */
    checkAnswer?: boolean;
  }): Promise<Answer<B>>;
  close(): Promise<void>;
}

const parse = (text: string): unknown => {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/** Builds the real HTTP application around a ManualClock and a store the test can inspect. */
export const startApp = async (options: StartAppOptions = {}): Promise<TestApp> => {
  const clock = new ManualClock(options.clockStart ?? '2026-03-02T09:00:00.000Z');
  let tempDir: string | undefined;
  let dataDir: string | undefined;
  let store: EventStore | undefined;
  let storeEnv: Record<string, string>;
  if (options.store === 'sqlite' || options.store === 'eventstoredb') {
    if (options.dataDir === undefined) tempDir = mkdtempSync(join(tmpdir(), 'conv-e2e-'));
    dataDir = options.dataDir ?? tempDir;
  }
  if (options.store === 'sqlite') {
    store = new SqliteEventStore({ filename: join(dataDir as string, 'events.sqlite') });
    // The read models live in DATA_DIR/read-models.sqlite, as in production.
    storeEnv = { EVENT_STORE: 'sqlite', DATA_DIR: dataDir as string };
  } else if (options.store === 'eventstoredb') {
    storeEnv = { EVENT_STORE: 'eventstoredb', ESDB_CONNECTION_STRING: options.esdbConnectionString ?? '', DATA_DIR: dataDir as string };
  } else {
    store = new InMemoryEventStore();
    storeEnv = { EVENT_STORE: 'memory' };
  }
  // Timers stay off unless a test turns them on: most suites move the clock by hours and
  // expect conversations to wait for them, not to be auto-closed behind their back.
  // Rate limits high enough never to be what a suite measures (the identity suite sets its own).
  const limits = { RATE_LIMIT_PER_MINUTE: '1000000', AUTH_FAILURES_PER_MINUTE: '1000000' };
  const config = loadConfig({ ...storeEnv, LOG_LEVEL: 'log', TIMERS: 'off', ROUTING: 'off', ...limits, ...options.env });
  const signingKey = config.authJwksUrl ? undefined : (await generateSigningKey()).key;
  const token: TestApp['token'] = (sub, roles, tokenOptions = {}) => {
    if (!signingKey) throw new Error('This app trusts an identity provider: sign tokens with its key');
    return issueToken(signingKey, {
      sub,
      roles,
      ttlMs: tokenOptions.ttlMs ?? 3_600_000,
      issuer: tokenOptions.issuer,
      audience: tokenOptions.audience,
      now: tokenOptions.now ?? clock.now(),
    });
  };
  const logDestination = options.logDestination ?? e2eLogDestination();
  const app = await createApp(config, { clock, eventStore: store, signingKey, logDestination }).catch((error: unknown) => {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    throw error;
  });
  store ??= app.get<EventStore>(EVENT_STORE);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  // Every answer is checked against the app's OpenAPI document (route, status, headers, body schema): a mismatch fails the request.
  const documented = documentedAnswers((await app.inject({ method: 'GET', url: '/api/docs-json' })).body);

  /** Requests without an Authorization header are signed as the principal their body claims (see principalClaimedBy). */
  const authorized = async (url: string, payload: unknown, headers: Record<string, string> | undefined) => {
    const given = Object.keys(headers ?? {}).find((name) => name.toLowerCase() === 'authorization');
    // An empty Authorization header asks for a request without credentials.
    if (given !== undefined && headers?.[given] === '')
      return Object.fromEntries(Object.entries(headers).filter(([name]) => name !== given));
    if (!signingKey || given !== undefined) return headers;
    const path = url.split('?')[0];
    const body =
      typeof payload === 'string'
        ? (() => {
            try {
              return JSON.parse(payload) as unknown;
            } catch {
              return undefined;
            }
          })()
        : payload;
    const { sub, roles } = principalClaimedBy(path, body);
    return { ...headers, authorization: `Bearer ${await token(sub, roles)}` };
  };

  const request: TestApp['request'] = async ({ method, url, payload, headers, checkAnswer = true }) => {
    const response = await app.inject({ method, url, payload: payload as never, headers: await authorized(url, payload, headers) });
    if (checkAnswer) documented.check(method, url, { statusCode: response.statusCode, headers: response.headers, text: response.body });
    return {
      statusCode: response.statusCode,
      headers: response.headers,
      body: parse(response.body) as never,
      text: response.body,
    };
  };

  const post: TestApp['post'] = (path, body, headers) =>
    request({ method: 'POST', url: path, payload: body === undefined ? undefined : (body as object), headers });
  const provisioning = options.provision === 'none' ? undefined : new OnDemandProvisioning(post);

  let closed = false;
  return {
    app,
    clock,
    store,
    dataDir,
    token,
    signingKey,
    request,
    provision: async (path, body) => {
      await provisioning?.before(path, body);
    },
    post: async (path, body, headers) => {
      await provisioning?.before(path, body);
      return post(path, body, headers);
    },
    get: (path, headers) => request({ method: 'GET', url: path, headers }),
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    },
  };
};
