import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The shape /health answers with, healthy (200) or not (503), as the OpenAPI document states it. */

const COUNT = { type: 'integer', minimum: 0 } as const;
const TIME = { type: String, format: 'date-time' } as const;

export class EventStoreCheckDto {
  @ApiProperty({ enum: ['ok', 'down'] })
  status!: 'ok' | 'down';

  @ApiPropertyOptional({ ...COUNT, description: 'ok: the position of the last event in the log' })
  headPosition?: number;

  @ApiPropertyOptional({ description: 'down: why' })
  reason?: string;
}

export class ProjectionFailureDto {
  @ApiProperty(COUNT)
  position!: number;

  @ApiProperty()
  eventType!: string;

  @ApiProperty()
  message!: string;

  @ApiPropertyOptional({
    description: 'true: a database or event-store error the view retries by itself; absent: the view is stopped at this event',
  })
  transient?: boolean;
}

export class ProjectionCheckDto {
  @ApiProperty({ example: 'conversation_views' })
  name!: string;

  @ApiProperty({ enum: ['ok', 'failing'] })
  status!: 'ok' | 'failing';

  @ApiProperty({
    type: 'integer',
    minimum: -1,
    description: 'The last log position the view applied; -1 when the views were built from another log (rebuild them)',
  })
  position!: number;

  @ApiPropertyOptional({ type: () => ProjectionFailureDto })
  failure?: ProjectionFailureDto;
}

/** What an automatic process (timers, routing) shows: its state, and the views it reads that are stopped. */
class ProcessCheckDto {
  @ApiProperty({ enum: ['ok', 'off', 'failing'], description: 'off: this instance does not run it' })
  status!: 'ok' | 'off' | 'failing';

  @ApiPropertyOptional({ description: 'Why its last pass failed' })
  lastError?: string;

  @ApiPropertyOptional({ type: [String], description: 'failing because these views it reads are stopped' })
  stoppedViews?: string[];

  @ApiPropertyOptional({ example: 'reads views that are stopped: conversation_timers' })
  reason?: string;
}

export class TimerPassDto {
  @ApiProperty(TIME)
  at!: string;

  @ApiProperty({ ...COUNT, description: 'Expiries this pass appended' })
  fired!: number;

  @ApiProperty({ ...COUNT, description: 'Expiries already appended by an earlier pass or another instance' })
  alreadyFired!: number;

  @ApiProperty({ ...COUNT, description: 'Refused by the conversation: its condition was cleared meanwhile' })
  outdated!: number;

  @ApiProperty({ ...COUNT, description: 'Failed for another reason; the next pass tries again' })
  failed!: number;

  @ApiProperty({ description: 'Whether the auto-close sweep ran in this pass' })
  swept!: boolean;
}

export class TimersCheckDto extends ProcessCheckDto {
  @ApiPropertyOptional({ type: () => TimerPassDto, description: 'The last pass that completed' })
  lastPass?: TimerPassDto;
}

export class RoutingPassDto {
  @ApiProperty(TIME)
  finishedAt!: string;

  @ApiProperty({ ...COUNT, description: 'Items offered to an agent' })
  offered!: number;

  @ApiProperty({ ...COUNT, description: "Offers refused by the agent's or the conversation's stream (the views were behind)" })
  refused!: number;

  @ApiProperty({ ...COUNT, description: 'Open items looked at' })
  considered!: number;
}

export class RoutingCheckDto extends ProcessCheckDto {
  @ApiPropertyOptional({ type: () => RoutingPassDto, description: 'The last pass that completed' })
  lastPass?: RoutingPassDto;
}

export class HealthChecksDto {
  @ApiProperty({ type: () => EventStoreCheckDto })
  eventStore!: EventStoreCheckDto;

  @ApiProperty({ type: () => [ProjectionCheckDto] })
  projections!: ProjectionCheckDto[];

  @ApiProperty({ type: () => TimersCheckDto })
  timers!: TimersCheckDto;

  @ApiProperty({ type: () => RoutingCheckDto })
  routing!: RoutingCheckDto;
}

export class HealthDto {
  @ApiProperty({ enum: ['ok', 'unhealthy'] })
  status!: 'ok' | 'unhealthy';

  @ApiProperty({ type: () => HealthChecksDto })
  checks!: HealthChecksDto;
}

export class LivenessDto {
  @ApiProperty({ enum: ['ok'] })
  status!: 'ok';
}

export class ReadinessDto {
  @ApiProperty({ enum: ['ready', 'not_ready'] })
  status!: 'ready' | 'not_ready';

  @ApiPropertyOptional({ type: [String], description: 'not_ready: why this instance should not get traffic now' })
  reasons?: string[];
}
