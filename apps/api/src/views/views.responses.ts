import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Type } from '@nestjs/common';
import { CHANNELS, type Channel } from '@lib/domain';
import { ActorDto } from '../conversations/conversations.responses';

/** The shapes the views answer with, as the OpenAPI document states them. */

const TIME = { type: String, format: 'date-time' } as const;
const COUNT = { type: 'integer', minimum: 0 } as const;

/** One open item in a queue, in routing order (priority, then longest waiting). */
export class QueueWorkItemDto {
  @ApiProperty()
  conversationId!: string;

  @ApiProperty()
  queueId!: string;

  @ApiProperty({ enum: CHANNELS })
  channel!: Channel;

  @ApiProperty()
  customerId!: string;

  @ApiProperty({ type: 'integer', minimum: 0 })
  priority!: number;

  @ApiProperty({ ...TIME, description: 'When it (last) entered the queue' })
  queuedSince!: string;

  @ApiProperty({ ...COUNT, description: 'Milliseconds waited so far' })
  waitMs!: number;

  @ApiProperty(COUNT)
  unreadCustomerMessages!: number;
}

/** An agent's own item: active, waiting or wrap-up. */
export class MyWorkItemDto {
  @ApiProperty()
  conversationId!: string;

  @ApiProperty({ enum: ['active', 'waiting', 'wrap_up'] })
  status!: 'active' | 'waiting' | 'wrap_up';

  @ApiProperty(TIME)
  statusSince!: string;

  @ApiProperty({ enum: CHANNELS })
  channel!: Channel;

  @ApiProperty()
  queueId!: string;

  @ApiProperty()
  customerId!: string;

  @ApiProperty(COUNT)
  unreadCustomerMessages!: number;

  @ApiProperty({ description: "Active only: still awaiting the agent's acceptance of a push" })
  awaitingAcceptance!: boolean;
}

/** An item the agent had that closed in the last 24 hours. */
export class ClosedWorkItemDto {
  @ApiProperty()
  conversationId!: string;

  @ApiProperty()
  agentId!: string;

  @ApiProperty({ enum: CHANNELS })
  channel!: Channel;

  @ApiProperty()
  queueId!: string;

  @ApiProperty()
  customerId!: string;

  @ApiProperty(TIME)
  closedAt!: string;

  @ApiProperty({ type: () => ActorDto })
  closedBy!: ActorDto;

  @ApiProperty()
  closeReason!: string;
}

/** One row of the audit index: enough to find an event, then read it from its conversation's history. */
export class AuditEntryDto {
  @ApiProperty(COUNT)
  position!: number;

  @ApiProperty()
  conversationId!: string;

  @ApiProperty({ type: 'integer', minimum: 0 })
  revision!: number;

  @ApiProperty({ example: 'ConversationPicked' })
  type!: string;

  @ApiProperty(TIME)
  at!: string;

  @ApiProperty({ example: 'agent' })
  actorKind!: string;

  @ApiProperty()
  actorId!: string;

  @ApiProperty()
  reason!: string;

  @ApiProperty({ type: [String], description: "Every agent the event concerns (the actor, the holder, a transfer's target, a consultant)" })
  agentIds!: string[];
}

/** A page of `item`s, for `class XPageDto extends pageOf(XDto) {}`: `nextCursor` is absent on the last page. */
export const pageOf = <T>(item: Type<T>) => {
  abstract class Page {
    @ApiProperty({ type: () => [item] })
    items!: T[];

    @ApiPropertyOptional({ description: 'Pass it as `cursor` for the next page; absent on the last page' })
    nextCursor?: string;
  }
  return Page;
};

export class QueueWorkItemPageDto extends pageOf(QueueWorkItemDto) {}
export class MyWorkItemPageDto extends pageOf(MyWorkItemDto) {}
export class ClosedWorkItemPageDto extends pageOf(ClosedWorkItemDto) {}
export class AuditPageDto extends pageOf(AuditEntryDto) {}
