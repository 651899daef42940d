import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsString, Length, Min } from 'class-validator';
import { IsOmittable } from '../http/omittable';

export class EventStreamQueryDto {
  @ApiPropertyOptional({
    description: 'Start after this log position (0: from the beginning). Last-Event-ID, when sent, wins. Absent: only new events',
    minimum: 0,
  })
  @IsOmittable()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  after?: number;

  @ApiPropertyOptional({ description: 'Event-type patterns, comma-separated; `*` a wildcard (`Conversation*,AgentPresenceChanged`)' })
  @IsOmittable()
  @IsString()
  @Length(0, 4_096)
  types?: string;

  @ApiPropertyOptional({ description: 'Stream patterns or categories, comma-separated (`conversation,queue-support*`)' })
  @IsOmittable()
  @IsString()
  @Length(0, 4_096)
  streams?: string;

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    default: 'true',
    description: 'false: send the events up to the head of the log as it is when asked, then end the response (a catch-up read)',
  })
  @IsOmittable()
  @IsIn(['true', 'false'], { message: '$property must be true or false' })
  follow?: 'true' | 'false';
}
