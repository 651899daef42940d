import { Injectable, type PipeTransform } from '@nestjs/common';
import { ENTITY_ID_PATTERN } from './entity-id';
import { RequestValidationError } from './request-validation.error';

@Injectable()
export class EntityIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!ENTITY_ID_PATTERN.test(value)) {
      throw new RequestValidationError([{ field: 'id', messages: ['path id must be 1-64 characters: letters, digits, and _ . : -'] }]);
    }
    return value;
  }
}
