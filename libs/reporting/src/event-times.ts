/** Epoch milliseconds of an ISO-8601 time; throws naming `what` when it is not one. */
export function parseTime(value: unknown, what: string): number {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw new RangeError(`${what} is not an ISO-8601 time: ${JSON.stringify(value)}`);
  return ms;
}

/** Canonical ISO-8601 UTC text of epoch milliseconds. */
export const isoOf = (ms: number): string => new Date(ms).toISOString();
