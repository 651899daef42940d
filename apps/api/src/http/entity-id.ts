import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { ENTITY_ID_PATTERN, ENTITY_ID_RULE } from '@lib/domain';
import { IsOmittable } from './omittable';

export { ENTITY_ID_PATTERN };

export const IsEntityId = (description: string, example = 'agent-42') =>
  applyDecorators(
    ApiProperty({ description, example, pattern: ENTITY_ID_PATTERN.source }),
    IsString(),
    Matches(ENTITY_ID_PATTERN, { message: `$property ${ENTITY_ID_RULE}` }),
  );

export const IsOptionalEntityId = (description: string, example = 'agent-42') =>
  applyDecorators(
    ApiPropertyOptional({ description, example, pattern: ENTITY_ID_PATTERN.source }),
    IsOmittable(),
    IsString(),
    Matches(ENTITY_ID_PATTERN, { message: `$property ${ENTITY_ID_RULE}` }),
  );
