/**
 * The service started as in production, in its own process (apps/api/src/main.ts through the
 * TypeScript loader, configuration from the environment), answering HTTP on a free port: for
 * suites that need several real instances over one store.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const LOADER = join(ROOT, 'apps/api/src/infrastructure/projector-worker/register-typescript.js');
const MAIN = join(ROOT, 'apps/api/src/main.ts');

export interface HttpAnswer<B = any> {
  statusCode: number;
  body: B;
  text: string;
}

export interface ServiceProcess {
  readonly name: string;
  readonly base: string;
  post<B = any>(path: string, body: unknown): Promise<HttpAnswer<B>>;
  get<B = any>(path: string): Promise<HttpAnswer<B>>;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then waits for it to exit. */
  stop(): Promise<void>;
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
export const startServiceProcess = async (name: string, env: Record<string, string>, startTimeoutMs = 90_000): Promise<ServiceProcess> => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(process.execPath, ['-r', LOADER, MAIN], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk) => (output += String(chunk)));
  child.stderr?.on('data', (chunk) => (output += String(chunk)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const request = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpAnswer> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { statusCode: response.status, body: parse(text), text };
  };

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service ${name} exited (${child.exitCode}) before answering: ${output}`);
    const healthy = await request('GET', '/health').then((a) => a.statusCode === 200, () => false);
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
    post: (path, body) => request('POST', path, body),
    get: (path) => request('GET', path),
    output: () => output,
    stop,
  };
};
