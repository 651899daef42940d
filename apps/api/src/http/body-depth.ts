import { RequestValidationError } from './request-validation.error';

/** Deeper than any request this API takes; deep enough that recursion elsewhere cannot overflow. */
export const MAX_BODY_DEPTH = 32;

/**
 * Refuses a body nested deeper than MAX_BODY_DEPTH, counted without recursion, before
 * validation (which recurses) sees it: `[[[[...]]]]` in 6 KB must be a 400, not a stack overflow.
 */
export const assertBodyDepth = (body: unknown): void => {
  const pending: Array<[unknown, number]> = [[body, 1]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop() as [unknown, number];
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_BODY_DEPTH) {
      throw new RequestValidationError([{ field: 'body', messages: [`body is nested deeper than ${MAX_BODY_DEPTH} levels`] }]);
    }
    for (const child of Object.values(value as Record<string, unknown>)) pending.push([child, depth + 1]);
  }
};
