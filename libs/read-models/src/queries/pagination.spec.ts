import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '../read-models.types';
import { decodeCursor, encodeCursor, resolvePage, resolvePageLimit, resolveTime } from './pagination';

describe('page limits', () => {
  it('defaults to DEFAULT_PAGE_LIMIT and accepts 1..MAX_PAGE_LIMIT', () => {
    expect(resolvePageLimit(undefined)).toBe(DEFAULT_PAGE_LIMIT);
    expect(resolvePageLimit(1)).toBe(1);
    expect(resolvePageLimit(MAX_PAGE_LIMIT)).toBe(MAX_PAGE_LIMIT);
  });

  it.each([MAX_PAGE_LIMIT + 1, 0, -1, 1.5, Number.NaN, Infinity, '10' as unknown as number])(
    'refuses %p with a RangeError naming limit',
    (limit) => {
      expect(() => resolvePageLimit(limit)).toThrow(RangeError);
      expect(() => resolvePageLimit(limit)).toThrow(/^limit must be an integer from 1 to 500/);
    },
  );

  it('treats an empty cursor as the first page', () => {
    expect(resolvePage({ cursor: '' })).toEqual({ limit: DEFAULT_PAGE_LIMIT });
    expect(resolvePage(undefined)).toEqual({ limit: DEFAULT_PAGE_LIMIT });
  });
});

describe('cursors', () => {
  it('are opaque base64url and decode back to the sort key of their own list', () => {
    const cursor = encodeCursor('queueWorkItems:queue-a', [5, '2026-03-01T08:00:00.000Z', 'c/1+?']);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor('queueWorkItems:queue-a', cursor, 'nss')).toEqual([5, '2026-03-01T08:00:00.000Z', 'c/1+?']);
  });

  it('refuses a cursor of another list, of another shape, tampered with or not base64url, naming cursor', () => {
    const cursor = encodeCursor('audit', [12]);
    const bad = [
      () => decodeCursor('myWorkItems:agent-1', cursor, 'n'),
      () => decodeCursor('audit', cursor, 's'),
      () => decodeCursor('audit', cursor, 'nn'),
      () => decodeCursor('audit', `${cursor}x`, 'n'),
      () => decodeCursor('audit', 'not base64!', 'n'),
      () => decodeCursor('audit', Buffer.from('[1]').toString('base64url'), 'n'),
      () => decodeCursor('audit', Buffer.from('{"l":"audit","k":[null]}').toString('base64url'), 'n'),
    ];
    for (const attempt of bad) {
      expect(attempt).toThrow(RangeError);
      expect(attempt).toThrow(/^cursor /);
    }
  });
});

describe('times given by callers', () => {
  it('are normalised to ISO-8601 UTC with milliseconds, or refused naming the parameter', () => {
    expect(resolveTime('2026-03-01T09:00:00+01:00', 'now')).toBe('2026-03-01T08:00:00.000Z');
    expect(() => resolveTime('tomorrow', 'from')).toThrow(/^from must be an ISO-8601 time/);
  });
});
