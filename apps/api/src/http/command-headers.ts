import { randomUUID } from 'node:crypto';
import { RequestValidationError } from './request-validation.error';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

/** The Idempotency-Key header becomes the command id, so a repeat is recognised; absent: a fresh id. */
export const commandIdFrom = (header: string | string[] | undefined): string => {
  if (header === undefined) return randomUUID();
  const key = Array.isArray(header) ? header[0] : header;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new RequestValidationError([{ field: 'Idempotency-Key', messages: ['header must be 1-128 visible ASCII characters'] }]);
  }
  return key;
};

/** If-Match pins the revision the caller last saw: `"3"`, `W/"3"` or `3`. Absent: not pinned. */
export const expectedRevisionFrom = (header: string | string[] | undefined): number | undefined => {
  if (header === undefined) return undefined;
  const text = (Array.isArray(header) ? header[0] : header).trim();
  const match = /^(?:W\/)?"?(-?\d{1,15})"?$/.exec(text);
  const revision = match ? Number(match[1]) : NaN;
  if (!Number.isInteger(revision) || revision < -1) {
    throw new RequestValidationError([{ field: 'If-Match', messages: ['header must be a revision such as "3" (from the ETag)'] }]);
  }
  return revision;
};

export const etagOf = (revision: number): string => `"${revision}"`;
