import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CHANNELS, PRESENCES, type Channel, type Presence } from '@lib/domain';
import { pageOf } from '../views/views.responses';

/** The shapes the agent routes answer with, as the OpenAPI document states them. */

const TIME = { type: String, format: 'date-time' } as const;
const UNITS = { type: 'integer', minimum: 0 } as const;

/** Capacity one conversation holds on an agent. */
export class AgentClaimDto {
  @ApiProperty()
  conversationId!: string;

  @ApiProperty({ enum: CHANNELS })
  channel!: Channel;

  @ApiProperty()
  queueId!: string;

  @ApiProperty(UNITS)
  units!: number;

  @ApiProperty({
    enum: ['assigned', 'wrap_up'],
    description: 'assigned: being assigned or worked; wrap_up: its wrap-up blocks capacity (until blockedUntil, when set)',
  })
  holding!: 'assigned' | 'wrap_up';

  @ApiPropertyOptional(TIME)
  blockedUntil?: string;

  @ApiProperty({ description: 'Reserved by a forced assignment, which may exceed capacity' })
  forced!: boolean;

  @ApiProperty(TIME)
  since!: string;
}

/** A claim as the agent's own stream has it: with the request that reserved it. */
export class AgentStreamClaimDto extends AgentClaimDto {
  @ApiProperty({ description: 'The request (command id) that reserved it' })
  reservationId!: string;
}

/** An agent as a command or GET /api/agents/{id} answers it: settings, presence and capacity now, from its stream. */
export class AgentDto {
  @ApiProperty({ example: 'agent-42' })
  id!: string;

  @ApiProperty(UNITS)
  capacity!: number;

  @ApiProperty({ type: [String] })
  queueIds!: string[];

  @ApiProperty({ enum: PRESENCES })
  presence!: Presence;

  @ApiProperty(TIME)
  presenceSince!: string;

  @ApiProperty({ ...UNITS, description: 'Units of conversations assigned or being worked' })
  used!: number;

  @ApiProperty({ ...UNITS, description: 'Units of conversations in wrap-up that still block' })
  blocked!: number;

  @ApiProperty({ ...UNITS, description: 'What is left; never negative even when a forced assignment went over' })
  free!: number;

  @ApiProperty({ type: () => [AgentStreamClaimDto] })
  claims!: AgentStreamClaimDto[];

  @ApiPropertyOptional({ ...TIME, description: 'When work was last reserved for the agent (the round-robin order)' })
  lastAssignedAt?: string;

  @ApiProperty({ type: 'integer', minimum: 0, description: "Revision of the agent's stream" })
  revision!: number;

  @ApiPropertyOptional({
    ...UNITS,
    description: 'Log position of the last event written, for minPosition; absent when nothing was written',
  })
  position?: number;
}

/** An agent on the capacity board, from the views. */
export class AgentCapacityDto {
  @ApiProperty()
  agentId!: string;

  @ApiProperty(UNITS)
  capacity!: number;

  @ApiProperty({ enum: PRESENCES })
  presence!: Presence;

  @ApiProperty(TIME)
  presenceSince!: string;

  @ApiProperty({ type: [String], description: 'The queues the agent serves, in the order it joined them' })
  queueIds!: string[];

  @ApiProperty(UNITS)
  used!: number;

  @ApiProperty({ ...UNITS, description: 'Units of wrap-ups that still block now' })
  blocked!: number;

  @ApiProperty({ ...UNITS, description: 'max(0, capacity - used - blocked)' })
  free!: number;

  @ApiProperty({ description: "used + blocked > capacity (forced assignments, or capacity lowered under the agent's load)" })
  forcedOver!: boolean;

  @ApiPropertyOptional(TIME)
  lastAssignedAt?: string;

  @ApiProperty({ type: () => [AgentClaimDto], description: 'Every claim, longest held first' })
  claims!: AgentClaimDto[];
}

export class CapacityBoardPageDto extends pageOf(AgentCapacityDto) {}
