/**
 * The service started as in production, in its own process (apps/api/src/main.ts through the
 * TypeScript loader, configuration from the environment), answering HTTP on a free port: for
 * suites that need several real instances over one store.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { JsonBody } from './start-app';
import { claimedAuthorization } from './test-principal';

const ROOT = join(__dirname, '..', '..');
const LOADER = join(ROOT, 'apps/api/src/infrastructure/projector-worker/register-typescript.js');
const MAIN = join(ROOT, 'apps/api/src/main.ts');

export interface HttpAnswer<B = JsonBody> {
  statusCode: number;
  body: B;
  text: string;
}

export interface ServiceProcess {
  readonly name: string;
  readonly base: string;
  /** The port it listens on: pass it as `port` to start a successor at the same address. */
  readonly port: number;
  /** The process id (of the node process running main.ts). */
  readonly pid: number | undefined;
  post<B = JsonBody>(path: string, body: unknown): Promise<HttpAnswer<B>>;
  get<B = JsonBody>(path: string): Promise<HttpAnswer<B>>;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then waits for it to exit. */
  stop(): Promise<void>;
  /** SIGKILL (a crash: no shutdown hook runs), then waits for it to exit. */
  kill(): Promise<void>;
  /** How the process ended (exit code or signal), or undefined while it runs. */
  exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

export interface ServiceProcessOptions {
  /**
   * Listen on this port instead of a free one: a process restarted after a kill or a stop takes
   * over the address of the one before it, so clients keep their base URL.
   */
  port?: number;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });

const parse = (text: string): unknown => {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/** Starts one service process and resolves once it answers /health (or rejects with its output). */
export const startServiceProcess = async (
  name: string,
  env: Record<string, string>,
  startTimeoutMs = 90_000,
  options: ServiceProcessOptions = {},
): Promise<ServiceProcess> => {
  const port = options.port ?? (await freePort());
  const base = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(process.execPath, ['-r', LOADER, MAIN], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', SHUTDOWN_DRAIN: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk) => (output += String(chunk)));
  child.stderr?.on('data', (chunk) => (output += String(chunk)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const dataDir = env.DATA_DIR;
  const request = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpAnswer> => {
    // Signed as the principal the body claims, with the key the service keeps in DATA_DIR (health needs none).
    const auth = path.startsWith('/health') || dataDir === undefined ? {} : await claimedAuthorization(dataDir, path, body);
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { statusCode: response.status, body: parse(text), text };
  };

  const signal = async (which: 'SIGTERM' | 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(which);
      await exited;
    }
  };
  const stop = () => signal('SIGTERM');
  const kill = () => signal('SIGKILL');

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`service ${name} exited (${child.exitCode ?? child.signalCode}) before answering: ${output}`);
    }
    const healthy = await request('GET', '/health').then(
      (a) => a.statusCode === 200,
      () => false,
    );
    if (healthy) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`service ${name} did not answer /health within ${startTimeoutMs} ms: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    name,
    base,
    port,
    pid: child.pid,
    post: (path, body) => request('POST', path, body),
    get: (path) => request('GET', path),
    output: () => output,
    stop,
    kill,
    exitStatus: () =>
      child.exitCode === null && child.signalCode === null ? undefined : { code: child.exitCode, signal: child.signalCode },
  };
};
