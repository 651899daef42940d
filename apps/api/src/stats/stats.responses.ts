import { ApiProperty } from '@nestjs/swagger';
import { PRESENCES, type Presence } from '@lib/domain';
import { ABANDONED_IN_SERVICE_LEVEL, type AbandonedInServiceLevel } from '@lib/read-models';
import { pageOf } from '../views/views.responses';
import { KPI_WINDOWS, type KpiWindowName } from './kpi-window';

/** The shapes the live KPI routes answer with, as the OpenAPI document states them. */

const COUNT = { type: 'integer', minimum: 0 } as const;
const SECONDS = { type: 'number', minimum: 0, nullable: true } as const;
const RATE = { type: 'number', minimum: 0, nullable: true } as const;

export class KpiWindowDto {
  @ApiProperty({ enum: KPI_WINDOWS })
  name!: KpiWindowName;

  @ApiProperty({ type: String, format: 'date-time', description: 'Start of the window (inclusive)' })
  from!: string;

  @ApiProperty({ type: String, format: 'date-time', description: 'The server time the figures are as of (inclusive)' })
  to!: string;

  @ApiProperty({ example: 'UTC', description: 'KPI_TIME_ZONE: whose midnight starts `today`' })
  timeZone!: string;
}

export class ServiceLevelPolicyDto {
  @ApiProperty({ type: 'number', description: 'SERVICE_LEVEL_THRESHOLD in seconds' })
  thresholdSeconds!: number;

  @ApiProperty({ enum: ABANDONED_IN_SERVICE_LEVEL, description: 'SERVICE_LEVEL_ABANDONED: how abandoned conversations count' })
  abandoned!: AbandonedInServiceLevel;
}

/** See libs/reporting/REPORT-DEFINITIONS.md, "Live KPIs", for every definition. */
export class QueueKpisDto {
  @ApiProperty({ example: 'support' })
  queueId!: string;

  @ApiProperty({ ...COUNT, description: 'Now: open in the queue' })
  inQueue!: number;

  @ApiProperty({ ...COUNT, description: 'Now: pushed to an agent who has not accepted yet' })
  awaitingAcceptance!: number;

  @ApiProperty({ ...SECONDS, description: 'Now: the longest current wait for an answer; null when nobody waits' })
  longestWaitSeconds!: number | null;

  @ApiProperty({ ...COUNT, description: 'Waits that ended in an acceptance in the window' })
  answered!: number;

  @ApiProperty({ ...SECONDS, description: 'Average speed to answer: mean wait of those answered' })
  averageSpeedToAnswerSeconds!: number | null;

  @ApiProperty(COUNT)
  answeredWithinThreshold!: number;

  @ApiProperty({ ...RATE, description: 'Answered within the threshold over answered + abandoned as SERVICE_LEVEL_ABANDONED counts them' })
  serviceLevel!: number | null;

  @ApiProperty({ ...COUNT, description: 'Waits that ended with the conversation closed unanswered in the window' })
  abandoned!: number;

  @ApiProperty({ ...RATE, description: 'abandoned / (answered + abandoned)' })
  abandonedRate!: number | null;

  @ApiProperty({ ...COUNT, description: 'Transfers away from the queue in the window' })
  transferred!: number;

  @ApiProperty({ ...RATE, description: 'transferred / answered' })
  transferRate!: number | null;

  @ApiProperty({ ...COUNT, description: 'Conversations closed in the window after an agent accepted them' })
  handled!: number;

  @ApiProperty({ ...SECONDS, description: 'Average handle time of those handled: active after acceptance + wrap-up' })
  averageHandleSeconds!: number | null;
}

export class QueueKpisListDto {
  @ApiProperty({ type: KpiWindowDto })
  window!: KpiWindowDto;

  @ApiProperty({ type: ServiceLevelPolicyDto })
  serviceLevelPolicy!: ServiceLevelPolicyDto;

  @ApiProperty({ type: () => [QueueKpisDto], description: 'Every defined queue, by id' })
  queues!: QueueKpisDto[];
}

export class OneQueueKpisDto {
  @ApiProperty({ type: KpiWindowDto })
  window!: KpiWindowDto;

  @ApiProperty({ type: ServiceLevelPolicyDto })
  serviceLevelPolicy!: ServiceLevelPolicyDto;

  @ApiProperty({ type: QueueKpisDto })
  queue!: QueueKpisDto;
}

class TimeInPresenceDto implements Record<Presence, number> {
  @ApiProperty({ type: 'number', minimum: 0 })
  available!: number;

  @ApiProperty({ type: 'number', minimum: 0 })
  busy!: number;

  @ApiProperty({ type: 'number', minimum: 0 })
  busy_dnd!: number;

  @ApiProperty({ type: 'number', minimum: 0 })
  away!: number;

  @ApiProperty({ type: 'number', minimum: 0 })
  offline!: number;
}

export class AgentKpisDto {
  @ApiProperty({ example: 'agent-1' })
  agentId!: string;

  @ApiProperty({ enum: PRESENCES })
  presence!: Presence;

  @ApiProperty({ type: String, format: 'date-time' })
  presenceSince!: string;

  @ApiProperty(COUNT)
  capacity!: number;

  @ApiProperty({ ...COUNT, description: 'Now: units assigned or being worked' })
  used!: number;

  @ApiProperty({ ...COUNT, description: 'Now: units blocked by wrap-up' })
  blocked!: number;

  @ApiProperty({ ...COUNT, description: 'Now: units left' })
  free!: number;

  @ApiProperty({ type: TimeInPresenceDto, description: 'Seconds in each presence inside the window' })
  timeInPresenceSeconds!: TimeInPresenceDto;

  @ApiProperty({
    ...RATE,
    description: 'Capacity held over capacity there was, over time in a presence that takes work; above 1 when forced over capacity',
  })
  occupancy!: number | null;

  @ApiProperty({ ...COUNT, description: 'Conversations closed in the window after this agent (the last to hold them) accepted them' })
  itemsHandled!: number;

  @ApiProperty({ ...SECONDS, description: 'Their mean handle time' })
  averageHandleSeconds!: number | null;
}

export class AgentKpisPageDto extends pageOf(AgentKpisDto) {
  @ApiProperty({ type: KpiWindowDto })
  window!: KpiWindowDto;
}
