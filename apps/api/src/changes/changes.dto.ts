import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, Min } from 'class-validator';
import { IsOmittable } from '../http/omittable';

export class ChangesQueryDto {
  @ApiPropertyOptional({
    description:
      "Start after this log position (a view's answer or a command's `position`). Last-Event-ID, when sent, wins. Absent: only new changes",
    minimum: 0,
  })
  @IsOmittable()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  after?: number;

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    default: 'true',
    description: 'false: send the changes up to the head of the log as it is when asked, then end the response',
  })
  @IsOmittable()
  @IsIn(['true', 'false'], { message: '$property must be true or false' })
  follow?: 'true' | 'false';
}
