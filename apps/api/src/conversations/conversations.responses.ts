import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  CHANNELS,
  CONVERSATION_TIMER_KINDS,
  type ActorKind,
  type Channel,
  type ConversationStatus,
  type ConversationTimerKind,
} from '@lib/domain';

/** The shapes the conversation routes answer with, as the OpenAPI document states them. */

const STATUSES: Record<ConversationStatus, true> = { open: true, active: true, waiting: true, wrap_up: true, closed: true };
export const CONVERSATION_STATUSES = Object.keys(STATUSES) as ConversationStatus[];
const ACTOR_KINDS: Record<ActorKind, true> = { agent: true, customer: true, supervisor: true, admin: true, system: true };

const TIME = { type: String, format: 'date-time' } as const;
const COUNT = { type: 'integer', minimum: 0 } as const;

export class ActorDto {
  @ApiProperty({ enum: Object.keys(ACTOR_KINDS), description: 'system: a component or policy of the service (routing, auto-close)' })
  kind!: ActorKind;

  @ApiProperty()
  id!: string;
}

/** What a conversation command answers (the revision is also the ETag). */
export class CommandAnswerDto {
  @ApiProperty({ example: 'conv-1' })
  id!: string;

  @ApiProperty({ enum: CONVERSATION_STATUSES, description: 'Where the conversation stands after the command' })
  status!: ConversationStatus;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: "Revision of the conversation's stream: the ETag, and the If-Match of the next command",
  })
  revision!: number;

  @ApiProperty({ ...COUNT, description: 'Log position of the last event written: pass it as minPosition to read your write in the views' })
  position!: number;
}

export class ConversationViewDto {
  @ApiProperty()
  id!: string;

  @ApiProperty({ enum: CONVERSATION_STATUSES })
  status!: ConversationStatus;

  @ApiProperty({ enum: CHANNELS })
  channel!: Channel;

  @ApiProperty()
  queueId!: string;

  @ApiProperty()
  customerId!: string;

  @ApiProperty({ type: 'integer', minimum: 0 })
  priority!: number;

  @ApiProperty(TIME)
  openedAt!: string;

  @ApiProperty({ ...TIME, description: 'When the current status began' })
  statusSince!: string;

  @ApiProperty({ ...TIME, description: 'Last message from either side (or entering waiting): the inactivity timer counts from here' })
  lastActivityAt!: string;

  @ApiProperty({ ...TIME, description: 'Restarted by every status change and by monitor, consult and transfer' })
  autoCloseClockSince!: string;

  @ApiProperty({ description: 'Live chat only; other channels never disconnect the customer' })
  customerConnected!: boolean;

  @ApiPropertyOptional(TIME)
  customerDisconnectedAt?: string;

  @ApiProperty(COUNT)
  unreadCustomerMessages!: number;

  @ApiPropertyOptional({ description: 'The last agent who held it' })
  lastAgentId?: string;

  @ApiProperty({ type: [String], description: 'Supervisors monitoring it' })
  supervisors!: string[];

  @ApiProperty({ type: [String], description: 'Agents who rejected a push of it or let one expire' })
  declinedBy!: string[];

  @ApiPropertyOptional({ description: 'active, waiting, wrap_up: the agent holding it' })
  agentId?: string;

  @ApiPropertyOptional({ enum: ['awaiting_acceptance', 'accepted'], description: 'active only' })
  assignment?: 'awaiting_acceptance' | 'accepted';

  @ApiPropertyOptional({ description: "active only: a supervisor assigned it over the agent's capacity" })
  forced?: boolean;

  @ApiPropertyOptional({ description: 'active only' })
  agentConnected?: boolean;

  @ApiPropertyOptional({ ...TIME, description: 'active only, while the agent is disconnected' })
  agentDisconnectedAt?: string;

  @ApiPropertyOptional({ type: [String], description: 'active only: agents consulting on it' })
  consultants?: string[];

  @ApiPropertyOptional({ ...TIME, description: 'closed only' })
  closedAt?: string;

  @ApiPropertyOptional({ type: () => ActorDto, description: 'closed only' })
  closedBy?: ActorDto;

  @ApiPropertyOptional({ description: 'closed only' })
  closeReason?: string;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Revision of its stream (the ETag when read without asOf)' })
  revision!: number;

  @ApiProperty({ type: [String], description: 'What may be done now', example: ['pick', 'assign', 'transfer'] })
  allowedActions!: string[];

  @ApiProperty({
    type: () => [RunningTimerDto],
    description: "The timers running on it now and when each is due under the service's policy (none on a past state read with asOf)",
  })
  timers!: RunningTimerDto[];
}

/** A timer running on a conversation (a push reservation, a disconnect, inactivity, auto-close). */
export class RunningTimerDto {
  @ApiProperty({ enum: CONVERSATION_TIMER_KINDS })
  kind!: ConversationTimerKind;

  @ApiProperty({ ...TIME, description: 'When its condition began' })
  since!: string;

  @ApiPropertyOptional({ ...TIME, description: 'When it fires; absent when the policy never lets it fire' })
  dueAt?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: "Milliseconds until dueAt on the service's clock (0 once due)" })
  remainingMs?: number;
}

export class CommandPrincipalDto {
  @ApiProperty()
  id!: string;

  @ApiProperty({ description: 'The role it acted under (channel, agent, supervisor), or `system`' })
  role!: string;
}

/** An agent capacity event caused by a conversation event. */
export class CapacityEffectDto {
  @ApiProperty()
  agentId!: string;

  @ApiProperty()
  eventId!: string;

  @ApiProperty(COUNT)
  position!: number;

  @ApiProperty({ example: 'AgentCapacityReserved' })
  type!: string;

  @ApiProperty(TIME)
  at!: string;

  @ApiProperty()
  reason!: string;

  @ApiPropertyOptional()
  correlationId?: string;

  @ApiProperty()
  causationId!: string;
}

/** One line of the audit trail. */
export class HistoryEntryDto {
  @ApiProperty({ type: 'integer', minimum: 0 })
  revision!: number;

  @ApiProperty(COUNT)
  position!: number;

  @ApiProperty()
  eventId!: string;

  @ApiProperty({ example: 'ConversationPicked' })
  type!: string;

  @ApiProperty(TIME)
  at!: string;

  @ApiProperty({ type: () => ActorDto })
  actor!: ActorDto;

  @ApiProperty({ example: 'agent_picked' })
  reason!: string;

  @ApiPropertyOptional({
    type: () => CommandPrincipalDto,
    description: 'The authenticated caller whose request wrote it, or the system component',
  })
  principal?: CommandPrincipalDto;

  @ApiPropertyOptional({ description: 'The command (Idempotency-Key or generated id) that wrote it' })
  commandId?: string;

  @ApiPropertyOptional({ description: 'The request, timer pass or routing pass it belongs to' })
  correlationId?: string;

  @ApiPropertyOptional({ description: "What caused it: the command's id, or the event that started a timer or routing" })
  causationId?: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: "The event's own facts, without the fields above" })
  details!: Record<string, unknown>;

  @ApiPropertyOptional({ type: () => [CapacityEffectDto], description: "What it did to agents' capacity" })
  capacityEffects?: CapacityEffectDto[];
}

export class ConversationHistoryDto {
  @ApiProperty()
  id!: string;

  @ApiProperty({ type: () => [HistoryEntryDto] })
  events!: HistoryEntryDto[];
}
