import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CLOCK, QueueNotFoundError, type Clock } from '@lib/conversation-lifecycle';
import { LiveKpiQueries, type KpiWindow, type ServiceLevelPolicy } from '@lib/read-models';
import type { AppConfig, Principal } from '@lib/platform';
import { Allow, CurrentPrincipal } from '../auth/auth.decorators';
import { allowedRoles } from '../auth/permissions';
import { APP_CONFIG } from '../config/app-config';
import { ANY_ROUTE, ApiAnswer, ApiErrors, AUTHENTICATED, CHECKED_INPUT, READ_YOUR_WRITES } from '../http/api-responses';
import { EntityIdPipe } from '../http/entity-id.pipe';
import { ReadYourWrites, badParametersAsRequestErrors } from '../views/read-your-writes';
import { resolveKpiWindow, type KpiWindowName } from './kpi-window';
import { KpiWindowQueryDto } from './stats.dto';
import { AgentKpisPageDto, OneQueueKpisDto, QueueKpisListDto } from './stats.responses';

/**
 * Live KPIs for supervisors (and each agent's own), read from the live KPI projection: a few
 * indexed reads per request, never a scan of the log. Definitions: libs/reporting/REPORT-DEFINITIONS.md.
 */
@ApiTags('stats')
@Controller('api/stats')
export class StatsController {
  constructor(
    private readonly kpis: LiveKpiQueries,
    private readonly readYourWrites: ReadYourWrites,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('queues')
  @Allow('QueueStats')
  @ApiOperation({
    summary: 'Live KPIs of every queue: waiting now, and speed to answer, service level, abandoned, transfers, handle time over the window',
  })
  @ApiAnswer(200, QueueKpisListDto, 'Every defined queue, by id')
  @ApiErrors(ANY_ROUTE, AUTHENTICATED, CHECKED_INPUT, READ_YOUR_WRITES)
  async queues(@Query() query: KpiWindowQueryDto): Promise<QueueKpisListDto> {
    await this.readYourWrites.awaitPosition(query.minPosition);
    const { name, window } = this.window(query.window);
    const queues = await badParametersAsRequestErrors(() => this.kpis.queueKpis(window, this.policy()));
    return { window: this.describe(name, window), serviceLevelPolicy: this.describePolicy(), queues };
  }

  @Get('queues/:id')
  @Allow('QueueStats')
  @ApiOperation({ summary: "One queue's live KPIs over the window" })
  @ApiAnswer(200, OneQueueKpisDto, 'The queue')
  @ApiErrors(ANY_ROUTE, AUTHENTICATED, CHECKED_INPUT, READ_YOUR_WRITES, { 404: ['QUEUE.NOT_FOUND'] })
  async queue(@Param('id', EntityIdPipe) queueId: string, @Query() query: KpiWindowQueryDto): Promise<OneQueueKpisDto> {
    await this.readYourWrites.awaitPosition(query.minPosition);
    const { name, window } = this.window(query.window);
    const [queue] = await badParametersAsRequestErrors(() => this.kpis.queueKpis(window, this.policy(), [queueId]));
    if (queue === undefined) throw new QueueNotFoundError(queueId, 'id');
    return { window: this.describe(name, window), serviceLevelPolicy: this.describePolicy(), queue };
  }

  @Get('agents')
  @Allow('AgentStats')
  @ApiOperation({
    summary: 'Live KPIs per agent over the window: time in each presence, occupancy, items handled (an agent gets its own row only)',
  })
  @ApiAnswer(200, AgentKpisPageDto, 'A page of agents, by id')
  @ApiErrors(ANY_ROUTE, AUTHENTICATED, CHECKED_INPUT, READ_YOUR_WRITES)
  async agents(@CurrentPrincipal() principal: Principal, @Query() query: KpiWindowQueryDto): Promise<AgentKpisPageDto> {
    await this.readYourWrites.awaitPosition(query.minPosition);
    const { name, window } = this.window(query.window);
    const everyone = allowedRoles(principal, 'AgentStats').some((role) => role !== 'agent');
    const page = await badParametersAsRequestErrors(() => this.kpis.agentKpis(window, query, everyone ? undefined : [principal.id]));
    return { window: this.describe(name, window), ...page };
  }

  private window(requested: KpiWindowName | undefined): { name: KpiWindowName; window: KpiWindow } {
    const name = requested ?? 'today';
    return { name, window: resolveKpiWindow(name, this.clock.now(), this.config.kpiTimeZone) };
  }

  private policy(): ServiceLevelPolicy {
    return { thresholdMs: this.config.serviceLevelThresholdMs, abandoned: this.config.serviceLevelAbandoned };
  }

  private describe(name: KpiWindowName, window: KpiWindow) {
    return {
      name,
      from: new Date(window.startMs).toISOString(),
      to: new Date(window.nowMs).toISOString(),
      timeZone: this.config.kpiTimeZone,
    };
  }

  private describePolicy() {
    return { thresholdSeconds: this.config.serviceLevelThresholdMs / 1000, abandoned: this.config.serviceLevelAbandoned };
  }
}
