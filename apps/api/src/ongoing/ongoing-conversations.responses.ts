import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CHANNELS, type Channel } from '@lib/domain';
import { ONGOING_STATUSES, type OngoingStatus } from '@lib/read-models';
import { pageOf } from '../views/views.responses';

const TIME = { type: String, format: 'date-time' } as const;
const MILLISECONDS = { type: 'integer', minimum: 0 } as const;

/** One conversation not closed, as the supervisor's Ongoing conversations shows it. */
export class OngoingConversationDto {
  @ApiProperty({ example: 'c-100' })
  conversationId!: string;

  @ApiProperty({ example: 'support' })
  queueId!: string;

  @ApiProperty({ enum: CHANNELS })
  channel!: Channel;

  @ApiProperty({ enum: ONGOING_STATUSES })
  status!: OngoingStatus;

  @ApiPropertyOptional({
    enum: ['awaiting_acceptance', 'accepted'],
    description: "Active only: still awaiting the agent's acceptance of a push, or accepted",
  })
  assignment?: 'awaiting_acceptance' | 'accepted';

  @ApiPropertyOptional({ description: 'The agent holding it (active, waiting, wrap-up); absent while open', example: 'agent-42' })
  agentId?: string;

  @ApiProperty()
  customerId!: string;

  @ApiProperty({ type: 'integer', minimum: 0 })
  priority!: number;

  @ApiProperty(TIME)
  openedAt!: string;

  @ApiProperty({ ...TIME, description: 'When it entered its current status' })
  statusSince!: string;

  @ApiProperty({ ...MILLISECONDS, description: 'Milliseconds in its current status so far' })
  timeInStatusMs!: number;

  @ApiProperty({ ...MILLISECONDS, description: 'Milliseconds since it was opened: the wait so far' })
  waitedMs!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  unreadCustomerMessages!: number;
}

export class OngoingConversationPageDto extends pageOf(OngoingConversationDto) {}
