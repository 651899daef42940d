import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ASSIGNMENT_METHODS, QUEUE_MODES, type AssignmentMethod, type QueueMode } from '@lib/domain';
import { pageOf } from '../views/views.responses';

/** The shapes the queue routes answer with, as the OpenAPI document states them. */

const COUNT = { type: 'integer', minimum: 0 } as const;

class QueueSettingsDto {
  @ApiProperty({ example: 'Customer support' })
  name!: string;

  @ApiProperty({ enum: QUEUE_MODES })
  mode!: QueueMode;

  @ApiProperty({ type: 'integer', minimum: 0 })
  priority!: number;

  @ApiProperty({ enum: ASSIGNMENT_METHODS })
  method!: AssignmentMethod;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;
}

/** A queue as its stream says now (GET /api/queues/{id}). */
export class QueueDto extends QueueSettingsDto {
  @ApiProperty({ example: 'support' })
  id!: string;
}

/** What defining a queue answers: the queue now, and where its stream and the log stand. */
export class QueueDefinitionDto extends QueueDto {
  @ApiProperty({ type: 'integer', minimum: 0, description: "Revision of the queue's stream" })
  revision!: number;

  @ApiPropertyOptional({
    ...COUNT,
    description: 'Log position of the event written, for minPosition; absent when the settings were already these',
  })
  position?: number;
}

/** A queue in the list, from the views: its settings, how many agents serve it, and its conversations by status. */
export class QueueOverviewDto extends QueueSettingsDto {
  @ApiProperty({ example: 'support' })
  queueId!: string;

  @ApiProperty({ ...COUNT, description: 'Agents that serve the queue, whatever their presence' })
  agents!: number;

  @ApiProperty(COUNT)
  open!: number;

  @ApiProperty(COUNT)
  active!: number;

  @ApiProperty(COUNT)
  waiting!: number;

  @ApiProperty(COUNT)
  wrap_up!: number;

  @ApiProperty(COUNT)
  closed!: number;
}

export class QueuePageDto extends pageOf(QueueOverviewDto) {}
