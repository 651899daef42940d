import { spawn, type ChildProcess } from 'node:child_process';

/**
 * The service as `npm start` runs it (compiled, from dist/), on 127.0.0.1:`port` with DATA_DIR
 * `dataDir` and the benches' common settings (no drain at stop, no rate limit), plus `env`.
 * Resolves once it logs that it listens; a service that does not within 60 s is killed.
 */
export const startService = (port: number, dataDir: string, env: Record<string, string> = {}): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'tsconfig-paths/register', 'dist/apps/api/src/main.js'], {
      env: {
        ...process.env,
        TS_NODE_BASEURL: './dist',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'log',
        SHUTDOWN_DRAIN: '0',
        RATE_LIMIT_PER_MINUTE: '1000000',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the service did not start in 60 s'));
    }, 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Listening')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => reject(new Error(`the service exited with ${code}`)));
  });

/** Stops a started service (SIGTERM) and waits for it to exit. */
export const stopService = (child: ChildProcess | undefined): Promise<void> =>
  child === undefined || child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
