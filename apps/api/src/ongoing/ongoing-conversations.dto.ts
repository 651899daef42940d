import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { CHANNELS, type Channel } from '@lib/domain';
import { ONGOING_STATUSES, type OngoingStatus } from '@lib/read-models';
import { IsOptionalEntityId } from '../http/entity-id';
import { IsOmittable } from '../http/omittable';
import { PageQueryDto } from '../views/views.dto';

/** GET /api/conversations: the filters of Ongoing conversations (each narrows; none lists every conversation not closed), paged. */
export class OngoingConversationsQueryDto extends PageQueryDto {
  @IsOptionalEntityId('Only the conversations of this queue', 'support')
  queueId?: string;

  @ApiPropertyOptional({ enum: ONGOING_STATUSES, description: 'Only conversations in this status (closed ones are never listed)' })
  @IsOmittable()
  @IsIn(ONGOING_STATUSES, { message: `$property must be one of ${ONGOING_STATUSES.join(', ')}` })
  status?: OngoingStatus;

  @IsOptionalEntityId('Only the conversations this agent holds (active, waiting, wrap-up)', 'agent-42')
  agentId?: string;

  @ApiPropertyOptional({ enum: CHANNELS, description: 'Only conversations of this channel' })
  @IsOmittable()
  @IsIn(CHANNELS, { message: `$property must be one of ${CHANNELS.join(', ')}` })
  channel?: Channel;
}
