import type { ValidationError } from 'class-validator';

export interface FieldProblem {
  field: string;
  messages: string[];
}

/** Malformed input: which fields, and what they must look like. Answered as 400; nothing is written. */
export class RequestValidationError extends Error {
  readonly code = 'REQUEST.INVALID_FIELD';
  constructor(readonly problems: FieldProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.messages.join('; ')}`).join(' | '));
  }

  static fromValidator(errors: ValidationError[], parent = ''): RequestValidationError {
    const problems: FieldProblem[] = [];
    const walk = (list: ValidationError[], prefix: string) => {
      for (const error of list) {
        const field = prefix ? `${prefix}.${error.property}` : error.property;
        if (error.constraints) problems.push({ field, messages: Object.values(error.constraints) });
        if (error.children?.length) walk(error.children, field);
      }
    };
    walk(errors, parent);
    return new RequestValidationError(problems);
  }
}
