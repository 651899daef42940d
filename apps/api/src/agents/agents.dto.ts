import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsInt, Matches, Max, Min } from 'class-validator';
import { MAX_AGENT_CAPACITY, MAX_QUEUES_PER_AGENT, PRESENCES, type Presence } from '@lib/domain';
import { ENTITY_ID_PATTERN, IsEntityId } from '../http/entity-id';
import { IsOmittable } from '../http/omittable';

export class RegisterAgentDto {
  @IsEntityId('The agent', 'agent-42')
  id!: string;

  @ApiProperty({
    description: "Capacity in units; each conversation costs its channel's units (CAPACITY_UNITS)",
    minimum: 0,
    maximum: MAX_AGENT_CAPACITY,
    example: 3,
  })
  @IsInt()
  @Min(0)
  @Max(MAX_AGENT_CAPACITY)
  capacity!: number;

  @ApiProperty({
    description: 'Queues the agent serves (replaces the previous list on re-registration)',
    type: [String],
    example: ['support'],
  })
  @IsArray()
  @ArrayMaxSize(MAX_QUEUES_PER_AGENT)
  @Matches(ENTITY_ID_PATTERN, {
    each: true,
    message: '$property must hold queue ids of 1-64 characters: letters, digits, and _ . : - (not first)',
  })
  queueIds!: string[];

  @ApiPropertyOptional({ enum: PRESENCES, description: 'Presence to set; a new agent starts offline', example: 'available' })
  @IsOmittable()
  @IsIn(PRESENCES, { message: `$property must be one of ${PRESENCES.join(', ')}` })
  presence?: Presence;
}

export class PresenceDto {
  @ApiProperty({ enum: PRESENCES, example: 'available' })
  @IsIn(PRESENCES, { message: `$property must be one of ${PRESENCES.join(', ')}` })
  presence!: Presence;
}
