import { UnsupportedMediaTypeException, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import rateLimit from '@fastify/rate-limit';
import type { AppConfig } from '@lib/platform';
import { Logger } from 'nestjs-pino';
import { AppModule, type AppOverrides } from './app.module';
import { serveDesk, type DeskOptions } from './desk/desk';
import { logEveryAnswer } from './logging/access-log';
import { bindLogsToRequests } from './logging/request-log-context';
import { createRootLogger } from './logging/root-logger';
import { measureEveryAnswer } from './metrics/http-metrics';
import { ServiceMetrics } from './metrics/service-metrics';
import { assertBodyDepth } from './http/body-depth';
import { addSecurityHeaders } from './http/security-headers';
import { connectionLimits } from './http/connection-limits';
import { withErrorBody } from './http/api-responses';
import { HttpErrorFilter } from './http/http-error.filter';
import { REQUEST_ID_HEADER, requestIdOf } from './http/request-id';
import { RequestValidationError } from './http/request-validation.error';

/** Builds the HTTP application (not listening yet): shared by main.ts and the e2e tests. */
export const createApp = async (config: AppConfig, overrides: AppOverrides & DeskOptions = {}): Promise<NestFastifyApplication> => {
  const adapter = new FastifyAdapter({
    ...connectionLimits(config),
    trustProxy: config.trustProxy,
    requestIdHeader: false,
    genReqId: requestIdOf,
  });
  const logger = createRootLogger(config.logLevel, overrides.logDestination);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, overrides, logger), adapter, {
    // Lines logged while the modules start wait for the JSON logger.
    bufferLogs: true,
    // A provider that fails (an unreachable EventStoreDB) rejects here instead of exiting the
    // process: main.ts reports it and exits, tests see the error.
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  bindLogsToRequests(app.getHttpAdapter().getInstance(), logger);
  logEveryAnswer(app.getHttpAdapter().getInstance(), logger);
  measureEveryAnswer(app.getHttpAdapter().getInstance(), app.get(ServiceMetrics));
  // Limits are applied by the AuthGuard (per principal, and per address for failed authentication).
  await app.register(rateLimit as never, { global: false });
  addSecurityHeaders(app.getHttpAdapter().getInstance(), {
    // JSON for programs and the OpenAPI page: nothing here loads from elsewhere.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        scriptSrc: ["'self'"],
        // The desk's OpenID Connect sign-in reads the provider's discovery document and redeems its code there.
        ...(config.deskOidc ? { connectSrc: ["'self'", new URL(config.authIssuer).origin] } : {}),
      },
    },
  });
  // The agent desk's files at `/` (apps/desk), under the CSP above.
  await serveDesk(app, overrides);
  if (config.corsOrigins.length > 0)
    app.enableCors({
      origin: config.corsOrigins,
      allowedHeaders: ['Authorization', 'Content-Type', 'If-Match', 'Idempotency-Key', REQUEST_ID_HEADER],
      exposedHeaders: ['ETag', 'Location', 'Retry-After', 'Idempotent-Replayed', REQUEST_ID_HEADER],
    });
  // Every answer names its request, errors included, so a caller can quote it.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', async (request, reply) => {
      void reply.header(REQUEST_ID_HEADER, request.id);
    });
  // Runs after Fastify parsed the body and before Nest's pipes: a refusal goes through the filter.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('preValidation', async (request) => {
      // The API takes JSON only (as its OpenAPI document says); Nest would also parse form bodies.
      if (/^application\/x-www-form-urlencoded/i.test(request.headers['content-type'] ?? '')) {
        throw new UnsupportedMediaTypeException('Send the body as application/json');
      }
      // Every body this API takes is a JSON object; Nest would turn `null` into an empty one.
      if (request.body !== undefined && (typeof request.body !== 'object' || request.body === null || Array.isArray(request.body))) {
        throw new RequestValidationError([{ field: 'body', messages: ['body must be a JSON object'] }]);
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
  // Signals are handled by main.ts, which drains before it closes the app.

  const openApi = new DocumentBuilder()
    .setTitle('Conversation work items')
    .setDescription('Lifecycle of customer-service conversations: queue, pick or push, work, park, wrap up, close; with audit history')
    .setVersion('0.1.0')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'From the identity provider, or `npm run cli -- token` for the embedded issuer',
    })
    .build();
  SwaggerModule.setup('api/docs', app, () => withErrorBody(SwaggerModule.createDocument(app, openApi)));
  return app;
};
