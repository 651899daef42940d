import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, type Page, type PageRequest } from '../read-models.types';

/** The page size asked for, checked: an integer from 1 to MAX_PAGE_LIMIT (default DEFAULT_PAGE_LIMIT). */
export function resolvePageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_LIMIT;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new RangeError(`limit must be an integer from 1 to ${MAX_PAGE_LIMIT}, got ${String(limit)}`);
  }
  return limit;
}

type CursorValue = string | number;

/**
 * Cursors are opaque to callers: base64url of JSON `{ "l": list, "k": sort key of the last row }`.
 * The list name keeps a cursor of one list from being replayed against another.
 */
export function encodeCursor(list: string, key: readonly CursorValue[]): string {
  return Buffer.from(JSON.stringify({ l: list, k: key }), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor of `list` whose key has the given shape (`s` string, `n` number, in order);
 * anything else is a RangeError naming `cursor`.
 */
export function decodeCursor(list: string, cursor: string, shape: string): CursorValue[] {
  const invalid = () => new RangeError(`cursor is not a valid cursor of ${list}; pass the nextCursor of the previous page`);
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw invalid();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const { l, k } = (parsed ?? {}) as { l?: unknown; k?: unknown };
  if (l !== list || !Array.isArray(k) || k.length !== shape.length) throw invalid();
  k.forEach((value, index) => {
    const ok = shape[index] === 's' ? typeof value === 'string' : typeof value === 'number' && Number.isFinite(value);
    if (!ok) throw invalid();
  });
  return k as CursorValue[];
}

export interface ResolvedPage {
  limit: number;
  cursor?: string;
}

export function resolvePage(page: PageRequest | undefined): ResolvedPage {
  const limit = resolvePageLimit(page?.limit);
  const cursor = page?.cursor;
  if (cursor !== undefined && typeof cursor !== 'string') throw new RangeError('cursor must be a string');
  return cursor === undefined || cursor === '' ? { limit } : { limit, cursor };
}

/** An ISO-8601 time given by the caller, checked and normalised; RangeError naming the parameter otherwise. */
export function resolveTime(value: string, name: string): string {
  const millis = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(millis)) throw new RangeError(`${name} must be an ISO-8601 time, got ${JSON.stringify(value)}`);
  return new Date(millis).toISOString();
}

/** An id given by the caller: a non-empty string, or a RangeError naming the parameter. */
export function requireId(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new RangeError(`${name} must be a non-empty string`);
  return value;
}

/** Builds a page from limit + 1 rows: the extra row only says there is a next page. */
export function toPage<Row, Item>(rows: Row[], limit: number, toItem: (row: Row) => Item, cursorOf: (row: Row) => string): Page<Item> {
  const hasMore = rows.length > limit;
  const kept = hasMore ? rows.slice(0, limit) : rows;
  const items = kept.map(toItem);
  return hasMore ? { items, nextCursor: cursorOf(kept[kept.length - 1]) } : { items };
}
