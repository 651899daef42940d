import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, Length, Max, Min } from 'class-validator';
import {
  ASSIGNMENT_METHODS,
  MAX_QUEUE_NAME_LENGTH,
  MAX_QUEUE_PRIORITY,
  QUEUE_MODES,
  type AssignmentMethod,
  type QueueMode,
} from '@lib/domain';
import { IsEntityId } from '../http/entity-id';
import { IsOmittable } from '../http/omittable';

export class DefineQueueDto {
  @IsEntityId('The queue', 'support')
  id!: string;

  @ApiPropertyOptional({ description: 'Display name; the id when absent', example: 'Customer support' })
  @IsOmittable()
  @IsString()
  @Length(1, MAX_QUEUE_NAME_LENGTH)
  name?: string;

  @ApiPropertyOptional({
    enum: QUEUE_MODES,
    default: 'pick',
    description:
      'pick: agents take items; push: routing assigns them. Every setting left out keeps its current value (the default for a new queue)',
  })
  @IsOmittable()
  @IsIn(QUEUE_MODES, { message: `$property must be one of ${QUEUE_MODES.join(', ')}` })
  mode?: QueueMode;

  @ApiPropertyOptional({ description: 'Higher queues are routed first', minimum: 0, maximum: MAX_QUEUE_PRIORITY, default: 0 })
  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(MAX_QUEUE_PRIORITY)
  priority?: number;

  @ApiPropertyOptional({ enum: ASSIGNMENT_METHODS, default: 'highest_free_capacity' })
  @IsOmittable()
  @IsIn(ASSIGNMENT_METHODS, { message: `$property must be one of ${ASSIGNMENT_METHODS.join(', ')}` })
  method?: AssignmentMethod;
}
