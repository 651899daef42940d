import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from './config/app-config';
import { createApp } from './app.factory';

const bootstrap = async () => {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen({ port: config.port, host: config.host });
  Logger.log(
    `Listening on http://${config.host}:${config.port} (store: ${config.eventStore}, data: ${config.dataDir}); docs at /api/docs`,
    'Bootstrap',
  );
};

bootstrap().catch((error: unknown) => {
  // A bad setting names itself; anything else gets its stack.
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
