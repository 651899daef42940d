import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';

/** Ids of conversations, agents, queues and customers: URL- and stream-name-safe, 1 to 64 characters. */
export const ENTITY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const ENTITY_ID_RULE = 'must be 1-64 characters: letters, digits, and _ . : - (not first)';

export const IsEntityId = (description: string, example = 'agent-42') =>
  applyDecorators(
    ApiProperty({ description, example, pattern: ENTITY_ID_PATTERN.source }),
    IsString(),
    Matches(ENTITY_ID_PATTERN, { message: `$property ${ENTITY_ID_RULE}` }),
  );

export const IsOptionalEntityId = (description: string, example = 'agent-42') =>
  applyDecorators(
    ApiPropertyOptional({ description, example, pattern: ENTITY_ID_PATTERN.source }),
    IsOptional(),
    IsString(),
    Matches(ENTITY_ID_PATTERN, { message: `$property ${ENTITY_ID_RULE}` }),
  );
