import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsISO8601, IsInt, IsString, Length, Matches, Max, Min } from 'class-validator';
import { MAX_PATTERNS } from '@lib/event-feed';
import { IsOmittable } from '../http/omittable';

const EVENT_TYPES_DESCRIPTION = 'Event types to send; `*` stands for any run of characters (`Conversation*`). Empty or absent: every type';
const STREAMS_DESCRIPTION =
  'Streams to send: a category (`conversation`, `agent`, `queue`) or stream names with `*` (`queue-support*`). Empty or absent: every stream';
const DURATION = /^\d+(ms|s|m|h|d)$/;

class WebhookFilterFields {
  @ApiPropertyOptional({ type: [String], description: EVENT_TYPES_DESCRIPTION, example: ['Conversation*'] })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(MAX_PATTERNS)
  @IsString({ each: true })
  eventTypes?: string[];

  @ApiPropertyOptional({ type: [String], description: STREAMS_DESCRIPTION, example: ['conversation'] })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(MAX_PATTERNS)
  @IsString({ each: true })
  streams?: string[];

  @ApiPropertyOptional({ description: 'What it is for, shown to administrators', maxLength: 500 })
  @IsOmittable()
  @IsString()
  @Length(0, 500)
  description?: string;
}

export class CreateWebhookDto extends WebhookFilterFields {
  @ApiProperty({ description: 'Where events are POSTed (http or https; redirects are not followed)', example: 'https://example.com/hooks' })
  @IsString()
  @Length(1, 2_048)
  url!: string;

  @ApiPropertyOptional({ description: 'Create it paused: events from now on wait until it is resumed', default: false })
  @IsOmittable()
  @IsBoolean()
  paused?: boolean;
}

export class UpdateWebhookDto extends WebhookFilterFields {
  @ApiPropertyOptional({ description: 'A new receiver URL; delivery goes on from the same event', example: 'https://example.com/hooks' })
  @IsOmittable()
  @IsString()
  @Length(1, 2_048)
  url?: string;
}

export class RotateSecretDto {
  @ApiPropertyOptional({
    description:
      'How long the old secret keeps signing beside the new one (a duration such as 30m or 24h); WEBHOOK_SECRET_OVERLAP when absent',
    example: '24h',
  })
  @IsOmittable()
  @Matches(DURATION, { message: '$property must be a duration such as 0s, 30m, 24h or 7d' })
  overlap?: string;
}

export class ReplayWebhookDto {
  @ApiPropertyOptional({
    description: 'Send again from this log position (inclusive; at most the head + 1); exactly one of position and time',
    minimum: 1,
    maximum: Number.MAX_SAFE_INTEGER,
  })
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  position?: number;

  @ApiPropertyOptional({ description: 'Send again from the first event recorded at or after this time', example: '2026-12-04T09:00:00Z' })
  @IsOmittable()
  @IsISO8601({ strict: true })
  time?: string;
}

export class DeliveriesQueryDto {
  @ApiPropertyOptional({ description: 'Page size, 1 to 500', default: 50 })
  @IsOmittable()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'The nextBefore of the previous page: only older attempts' })
  @IsOmittable()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  before?: number;
}
