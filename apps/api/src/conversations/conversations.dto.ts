import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsISO8601,
  Matches,
  IsInt,
  IsString,
  Length,
  Max,
  Min,
  Validate,
  ValidateIf,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { CHANNELS, MAX_CONVERSATION_PRIORITY, MAX_FORCE_CLOSE_REASON_LENGTH, MAX_REJECT_REASON_LENGTH, type Channel } from '@lib/domain';
import { IsEntityId, IsOptionalEntityId } from '../http/entity-id';
import { IsOmittable } from '../http/omittable';

export class OpenConversationDto {
  @ApiProperty({ enum: CHANNELS, example: 'live_chat' })
  @IsIn(CHANNELS, { message: `$property must be one of ${CHANNELS.join(', ')}` })
  channel!: Channel;

  @IsEntityId('Queue it waits in', 'support')
  queueId!: string;

  @IsEntityId('The customer it is with', 'customer-7')
  customerId!: string;

  @IsOptionalEntityId('Id to use; generated when absent', 'conv-1')
  id?: string;

  @ApiPropertyOptional({
    description: 'Higher is routed first within its queue',
    minimum: 0,
    maximum: MAX_CONVERSATION_PRIORITY,
    default: 0,
  })
  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(MAX_CONVERSATION_PRIORITY)
  priority?: number;
}

export class AgentActionDto {
  @IsOptionalEntityId(
    "The acting agent: the caller itself (the token's sub). Optional; when given it must be the caller. " +
      'On release and transfer a supervisor names here the agent holding it, acting on its behalf',
  )
  agentId?: string;
}

export class AssignDto {
  @IsEntityId('Agent it is pushed to')
  agentId!: string;

  @ApiPropertyOptional({ description: 'Skip acceptance and capacity (supervisor only); recorded as forced', default: false })
  @IsOmittable()
  @IsBoolean()
  force?: boolean;

  @ApiPropertyOptional({
    description:
      'Optional: the caller (a supervisor) makes the assignment, and when given this must be the caller. With force: assigned at once, over capacity if need be (ConversationForceAssigned). ' +
      'Without force: the supervisor offers it like routing does, within capacity and presence, and the agent accepts or rejects it ' +
      '(ConversationPushedToAgent, reason supervisor_offered_to_agent). Absent: routing',
    example: 'sup-1',
  })
  @IsOptionalEntityId('Supervisor making the assignment: the caller', 'sup-1')
  supervisorId?: string;
}

export class RejectDto extends AgentActionDto {
  @ApiPropertyOptional({ description: 'Why the agent declines', example: 'on_break' })
  @IsOmittable()
  @IsString()
  @Length(1, MAX_REJECT_REASON_LENGTH)
  reason?: string;
}

export class EndDto {
  @ApiProperty({ enum: ['agent', 'customer'] })
  @IsIn(['agent', 'customer'], { message: '$property must be agent or customer' })
  by!: 'agent' | 'customer';

  @IsOptionalEntityId('The agent pressing End: the caller; when given it must be the caller')
  agentId?: string;
}

/** Transfer names exactly one target: a queue or an agent. */
@ValidatorConstraint({ name: 'exactlyOneTransferTarget' })
class ExactlyOneTransferTarget implements ValidatorConstraintInterface {
  validate(_value: unknown, args: ValidationArguments): boolean {
    const dto = args.object as TransferDto;
    return (dto.toQueueId === undefined) !== (dto.toAgentId === undefined);
  }
  defaultMessage(): string {
    return 'name exactly one of toQueueId or toAgentId';
  }
}

export class TransferDto extends AgentActionDto {
  @ApiPropertyOptional({ description: 'Queue to transfer to (exactly one of toQueueId, toAgentId)', example: 'billing' })
  @ValidateIf((dto: TransferDto) => dto.toAgentId === undefined || dto.toQueueId !== undefined)
  @IsEntityId('Queue to transfer to', 'billing')
  toQueueId?: string;

  @ApiPropertyOptional({ description: 'Agent to transfer to (exactly one of toQueueId, toAgentId)', example: 'agent-7' })
  @ValidateIf((dto: TransferDto) => dto.toQueueId === undefined || dto.toAgentId !== undefined)
  @IsEntityId('Agent to transfer to', 'agent-7')
  @Validate(ExactlyOneTransferTarget)
  toAgentId?: string;
}

export class MessageDto {
  @ApiProperty({ enum: ['customer', 'agent'] })
  @IsIn(['customer', 'agent'], { message: '$property must be customer or agent' })
  from!: 'customer' | 'agent';

  @IsOptionalEntityId('The writing agent: the caller; when given it must be the caller')
  agentId?: string;
}

export class ConsultDto extends AgentActionDto {
  @IsEntityId('Agent who joins to help', 'agent-9')
  consultantId!: string;
}

export class ConsultEndDto {
  @IsOptionalEntityId('Consulting agent who leaves: the caller (optional), or the consultant a supervisor ends the consult of', 'agent-9')
  consultantId?: string;
}

export class MonitorDto {
  @IsOptionalEntityId('Supervisor who starts watching: the caller; when given it must be the caller', 'sup-1')
  supervisorId?: string;
}

export class ForceCloseDto {
  @IsOptionalEntityId('Supervisor closing it: the caller; when given it must be the caller', 'sup-1')
  supervisorId?: string;

  @ApiProperty({ description: 'Why it is closed: shown in the audit trail', example: 'customer_request_by_phone' })
  @IsString()
  @Length(1, MAX_FORCE_CLOSE_REASON_LENGTH)
  reason!: string;
}

/** Commands that carry nothing but the conversation id (customer connection signals). */
export class EmptyDto {}

export class AsOfQueryDto {
  @ApiPropertyOptional({
    description: 'The state at this time (ISO-8601 with a UTC offset), replayed from the stream',
    example: '2026-11-21T09:30:00Z',
  })
  @IsOmittable()
  @IsISO8601({ strict: true })
  @Matches(/(Z|[+-]\d{2}:?\d{2})$/i, { message: '$property must end with a UTC offset (Z or +hh:mm)' })
  asOf?: string;
}
