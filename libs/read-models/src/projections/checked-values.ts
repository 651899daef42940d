/**
 * Checks for event values a projection writes into typed columns. SQLite stores whatever it is
 * given, so a malformed event would otherwise reach the tables on one database and fail on the
 * other: checking first makes both refuse it, naming what was wrong.
 */

export function checkedInteger(value: unknown, what: string, minimum = Number.MIN_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
    throw new Error(`${what} must be an integer${minimum === 0 ? ' of 0 or more' : ''}: ${JSON.stringify(value)}`);
  }
  return value;
}

export function checkedText(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new Error(`${what} must be a non-empty string: ${JSON.stringify(value)}`);
  return value;
}

export function checkedChoice<T extends string>(value: unknown, choices: readonly T[], what: string): T {
  if (!choices.includes(value as T)) throw new Error(`${what} must be one of ${choices.join(', ')}: ${JSON.stringify(value)}`);
  return value as T;
}

export function checkedBoolean(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new Error(`${what} must be true or false: ${JSON.stringify(value)}`);
  return value;
}
