import { UnsupportedMediaTypeException, ValidationPipe, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from './config/app-config';
import { AppModule, type AppOverrides } from './app.module';
import { assertBodyDepth } from './http/body-depth';
import { connectionLimits } from './http/connection-limits';
import { HttpErrorFilter } from './http/http-error.filter';
import { RequestValidationError } from './http/request-validation.error';

const LOG_LEVELS: Record<AppConfig['logLevel'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
};

/** Builds the HTTP application (not listening yet): shared by main.ts and the e2e tests. */
export const createApp = async (config: AppConfig, overrides: AppOverrides = {}): Promise<NestFastifyApplication> => {
  const adapter = new FastifyAdapter(connectionLimits(config));
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, overrides), adapter, {
    logger: LOG_LEVELS[config.logLevel],
    // A provider that fails (an unreachable EventStoreDB) rejects here instead of exiting the
    // process: main.ts reports it and exits, tests see the error.
    abortOnError: false,
  });
  // Runs after Fastify parsed the body and before Nest's pipes: a refusal goes through the filter.
  app.getHttpAdapter().getInstance().addHook('preValidation', async (request) => {
    // The API takes JSON only (as its OpenAPI document says); Nest would also parse form bodies.
    if (/^application\/x-www-form-urlencoded/i.test(request.headers['content-type'] ?? '')) {
      throw new UnsupportedMediaTypeException('Send the body as application/json');
    }
    assertBodyDepth(request.body);
  });
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) => RequestValidationError.fromValidator(errors),
    }),
  );
  app.useGlobalFilters(new HttpErrorFilter());
  app.enableShutdownHooks();

  const openApi = new DocumentBuilder()
    .setTitle('Conversation work items')
    .setDescription('Lifecycle of customer-service conversations: queue, pick or push, work, park, wrap up, close; with audit history')
    .setVersion('0.1.0')
    .build();
  SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, openApi));
  return app;
};
