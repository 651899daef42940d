import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsISO8601, IsInt, IsString, Length, Matches, Max, Min } from 'class-validator';
import { MAX_PAGE_LIMIT } from '@lib/read-models';
import { IsOptionalEntityId } from '../http/entity-id';
import { IsOmittable } from '../http/omittable';

export class PageQueryDto {
  @ApiPropertyOptional({ description: `Page size, 1 to ${MAX_PAGE_LIMIT}`, default: 50 })
  @IsOmittable()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_LIMIT)
  limit?: number;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOmittable()
  @IsString()
  @Length(1, 4096)
  cursor?: string;

  @ApiPropertyOptional({
    description: "Read your writes: a command's `position`; the answer waits (bounded) until the views include it",
  })
  @IsOmittable()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  minPosition?: number;
}

/** A time without an offset would be read in the server's time zone: the caller must say which. */
const WITH_OFFSET = /(Z|[+-]\d{2}:?\d{2})$/i;
const OFFSET_MESSAGE = '$property must end with a UTC offset (Z or +hh:mm), for example 2026-11-21T09:00:00Z';

export class AuditQueryDto extends PageQueryDto {
  @IsOptionalEntityId('Events that concern this agent')
  agentId?: string;

  @IsOptionalEntityId('Events of this conversation', 'conv-1')
  conversationId?: string;

  @ApiPropertyOptional({ description: 'From this time (inclusive), ISO-8601', example: '2026-11-21T00:00:00Z' })
  @IsOmittable()
  @IsISO8601({ strict: true })
  @Matches(WITH_OFFSET, { message: OFFSET_MESSAGE })
  from?: string;

  @ApiPropertyOptional({ description: 'Until this time (exclusive), ISO-8601', example: '2026-11-22T00:00:00Z' })
  @IsOmittable()
  @IsISO8601({ strict: true })
  @Matches(WITH_OFFSET, { message: OFFSET_MESSAGE })
  to?: string;
}
