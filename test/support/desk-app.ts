/**
 * The service with the agent desk, listening on a free port of 127.0.0.1 for a real browser:
 * the desk built by scripts/build-desk.mjs into a temporary directory and served by createApp
 * (apps/api/src/desk), events and views in memory, the embedded signing key written to a
 * temporary DATA_DIR (so `npm run cli -- login-link` with that DATA_DIR signs tokens the
 * service accepts), and every request URL the server received kept for the test to inspect.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Clock } from '@lib/conversation-lifecycle';
import { InMemoryEventStore } from '@lib/event-store';
import { issueToken, loadConfig, loadOrCreateSigningKey, type Role } from '@lib/platform';
import { createApp } from '../../apps/api/src/app.factory';
import { e2eLogDestination } from './e2e-log';
import type { JsonBody } from './start-app';

const ROOT = join(__dirname, '..', '..');
const LOADER = join(ROOT, 'apps/api/src/infrastructure/projector-worker/register-typescript.js');

/** The wall clock, which a test may move forward (to let tokens expire) without waiting. */
export class ShiftedClock implements Clock {
  private shift = 0;
  now(): Date {
    return new Date(Date.now() + this.shift);
  }
  advance(ms: number): void {
    this.shift += ms;
  }
}

export interface DeskAnswer {
  status: number;
  headers: Headers;
  body: JsonBody;
  text: string;
}

export interface DeskApp {
  app: NestFastifyApplication;
  /** http://127.0.0.1:<port> */
  base: string;
  clock: ShiftedClock;
  dataDir: string;
  deskDir: string;
  /** Every request target (path and query) the server received, in order. */
  receivedUrls: string[];
  /** A token signed by the service's key, on its clock. */
  token(sub: string, roles: readonly Role[], ttlMs?: number): Promise<string>;
  /** `npm run cli -- login-link` on this service's DATA_DIR: the line it printed. */
  loginLink(sub: string, roles: string, ...more: string[]): string;
  /** An API call as another program makes it. */
  call(method: 'GET' | 'POST', path: string, token: string, body?: object, headers?: Record<string, string>): Promise<DeskAnswer>;
  close(): Promise<void>;
}

/** Builds the desk into a fresh directory (the same script `npm run build` runs). */
export const buildDesk = (outdir: string): string => {
  const run = spawnSync(process.execPath, [join(ROOT, 'scripts/build-desk.mjs'), '--outdir', outdir], {
    cwd: ROOT,
    // The summary line is left out under `npm run --silent`; this reads it.
    env: { ...process.env, npm_config_loglevel: 'notice' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`build-desk exited ${run.status}: ${run.stderr}${run.stdout}`);
  return run.stderr;
};

/** `env`: more settings for the service (an identity provider's, for the OpenID Connect suite). */
export const startDeskApp = async (options: { env?: Record<string, string> } = {}): Promise<DeskApp & { buildOutput: string }> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'desk-e2e-data-'));
  const deskDir = mkdtempSync(join(tmpdir(), 'desk-e2e-build-'));
  const cleanUp = () => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(deskDir, { recursive: true, force: true });
  };
  try {
    const buildOutput = buildDesk(deskDir);
    const signingKey = await loadOrCreateSigningKey(dataDir);
    const clock = new ShiftedClock();
    const config = loadConfig({
      EVENT_STORE: 'memory',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'log',
      TIMERS: 'off',
      ROUTING: 'off',
      RATE_LIMIT_PER_MINUTE: '1000000',
      AUTH_FAILURES_PER_MINUTE: '1000000',
      ...options.env,
    });
    const app = await createApp(config, {
      clock,
      eventStore: new InMemoryEventStore(),
      signingKey,
      logDestination: e2eLogDestination(),
      deskDir,
    });
    const receivedUrls: string[] = [];
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRequest', async (request) => {
        receivedUrls.push(request.raw.url ?? request.url);
      });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.getHttpServer().address() as AddressInfo;
    const base = `http://127.0.0.1:${port}`;

    let closed = false;
    return {
      app,
      base,
      clock,
      dataDir,
      deskDir,
      receivedUrls,
      buildOutput,
      token: (sub, roles, ttlMs = 3_600_000) => issueToken(signingKey, { sub, roles, ttlMs, now: clock.now() }),
      loginLink: (sub, roles, ...more) => {
        const run = spawnSync(
          process.execPath,
          ['-r', LOADER, join(ROOT, 'apps/cli/src/main.ts'), 'login-link', '--sub', sub, '--roles', roles, '--base-url', base, ...more],
          { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir, EVENT_STORE: 'sqlite' }, encoding: 'utf8', timeout: 60_000 },
        );
        if (run.status !== 0) throw new Error(`login-link exited ${run.status}: ${run.stderr}`);
        return run.stdout.trim();
      },
      call: async (method, path, token, body, headers = {}) => {
        const response = await fetch(`${base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...headers,
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        let parsed: unknown = undefined;
        try {
          parsed = text === '' ? undefined : JSON.parse(text);
        } catch {
          parsed = text;
        }
        return { status: response.status, headers: response.headers, body: parsed, text };
      },
      close: async () => {
        if (closed) return;
        closed = true;
        try {
          await app.close();
        } finally {
          cleanUp();
        }
      },
    };
  } catch (error) {
    cleanUp();
    throw error;
  }
};
