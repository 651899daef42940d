import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '@lib/platform';
import { createApp } from './app.factory';
import { Draining } from './health/draining';

const bootstrap = async () => {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen({ port: config.port, host: config.host });
  Logger.log(
    `Listening on http://${config.host}:${config.port} (store: ${config.eventStore}, data: ${config.dataDir}); docs at /api/docs`,
    'Bootstrap',
  );

  // Stopping: readiness turns 503 first so the load balancer stops sending; requests already
  // here are answered; then the server closes (waiting for those still in flight) and the
  // modules stop their timers, projector and stores.
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    app.get(Draining).begin();
    Logger.log(`${signal}: not ready any more; stopping in ${config.shutdownDrainMs} ms, once requests in flight are answered`, 'Shutdown');
    await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainMs));
    await app.close();
    Logger.log('Stopped', 'Shutdown');
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, (received) => {
      stop(received).catch((error: unknown) => {
        console.error(error);
        process.exit(1);
      });
    });
  }
};

bootstrap().catch((error: unknown) => {
  // A bad setting names itself; anything else gets its stack.
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
