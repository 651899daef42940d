import { createServer, type Server } from 'node:http';
import {
  Controller,
  Get,
  Inject,
  Logger,
  Module,
  NotFoundException,
  Res,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { EVENT_STORE, type EventStore } from '@lib/event-store';
import type { ProjectorHost } from '@lib/read-models';
import { Public } from '../auth/auth.decorators';
import type { AppConfig } from '@lib/platform';
import { APP_CONFIG } from '../config/app-config';
import { ANY_ROUTE, ApiErrors, ApiTextAnswer } from '../http/api-responses';
import { PROJECTOR } from '../infrastructure/read-models.module';
import { ServiceMetrics } from './service-metrics';

@ApiTags('operations')
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: ServiceMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiProduces('text/plain')
  @ApiTextAnswer(200, 'text/plain', 'Prometheus text exposition format')
  @ApiErrors(ANY_ROUTE, { 404: ['ROUTE.NOT_FOUND'] })
  @ApiOperation({
    summary:
      'Prometheus metrics (text exposition format): HTTP durations, commands by type and outcome, event-store appends, view positions ' +
      'and lag, timers, routing, capacity reconciler, process. Served here unless METRICS_PORT moves it to a port of its own.',
  })
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    if (this.config.metricsPort !== undefined) throw new NotFoundException(`Metrics are served on port ${this.config.metricsPort}`);
    void reply.header('Content-Type', this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }
}

/** /metrics: on the main port, or on METRICS_PORT; the view gauges read the projector and the log at each scrape. */
@Module({ controllers: [MetricsController] })
export class MetricsModule implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private server?: Server;

  constructor(
    private readonly metrics: ServiceMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTOR) private readonly projector: ProjectorHost,
  ) {}

  onModuleInit(): void {
    const { store, projector } = this;
    this.metrics.watchViews({
      headPosition: () => store.headPosition(),
      views: async () =>
        Promise.all(
          projector.status().map(async ({ name, position }) => {
            // When the first event the view has not applied happened: how far behind it is, in time.
            const [pending] = await store.readAll({ after: position, maxCount: 1 });
            const at = (pending?.data as { at?: unknown } | undefined)?.at;
            return { name, position, oldestPendingAt: typeof at === 'string' ? at : undefined };
          }),
        ),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.metricsPort;
    if (port === undefined) return;
    const server = createServer((request, response) => {
      if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
        response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found: GET /metrics\n');
        return;
      }
      this.metrics.registry.metrics().then(
        (text) => response.writeHead(200, { 'Content-Type': this.metrics.registry.contentType }).end(text),
        (error: unknown) => response.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${String(error)}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.config.host, () => resolve());
    });
    this.server = server;
    new Logger('Metrics').log(`Metrics on http://${this.config.host}:${port}/metrics`);
  }

  async onModuleDestroy(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
