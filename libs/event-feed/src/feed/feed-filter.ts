/**
 * Which events a webhook subscription or an event stream wants: event types and streams, each
 * a list of patterns where `*` stands for any run of characters. A stream pattern without `-`
 * or `*` names a category (`conversation` is every `conversation-…` stream). An empty list
 * means every type, or every stream.
 */
export interface FeedFilter {
  eventTypes: string[];
  streams: string[];
}

export const EVERY_EVENT: FeedFilter = { eventTypes: [], streams: [] };

/** Categories of the log: the stream name up to its first `-`. */
export const STREAM_CATEGORIES = ['conversation', 'agent', 'queue'] as const;

const PATTERN = /^[A-Za-z0-9_.:*-]{1,200}$/;
export const MAX_PATTERNS = 50;

/** A pattern the filter cannot use, with the field and why: what the caller should fix. */
export class FeedFilterError extends Error {
  readonly code = 'FEED.INVALID_FILTER';
  constructor(
    readonly field: 'eventTypes' | 'streams',
    message: string,
  ) {
    super(message);
  }
}

/** Checks a filter's patterns; throws FeedFilterError naming the first bad one. */
export function validateFeedFilter(filter: FeedFilter): FeedFilter {
  for (const field of ['eventTypes', 'streams'] as const) {
    const patterns = filter[field];
    if (!Array.isArray(patterns)) throw new FeedFilterError(field, `${field} must be a list of patterns`);
    if (patterns.length > MAX_PATTERNS)
      throw new FeedFilterError(field, `${field} has ${patterns.length} patterns; at most ${MAX_PATTERNS}`);
    const bad = patterns.find((pattern) => typeof pattern !== 'string' || !PATTERN.test(pattern));
    if (bad !== undefined) {
      throw new FeedFilterError(
        field,
        `${field} pattern ${JSON.stringify(bad)} is not 1-200 letters, digits, _ . : - or * (the wildcard), e.g. ${
          field === 'eventTypes' ? 'ConversationClosed or Agent*' : 'conversation, agent-ag-1 or queue-support*'
        }`,
      );
    }
  }
  return { eventTypes: [...new Set(filter.eventTypes)], streams: [...new Set(filter.streams)] };
}

const escapeRegExp = (text: string) => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

const patternRegExp = (patterns: readonly string[]): RegExp =>
  new RegExp(`^(?:${patterns.map((pattern) => escapeRegExp(pattern).replace(/\*/g, '.*')).join('|')})$`);

/** A bare category name stands for every stream of that category. */
const streamPatternOf = (pattern: string): string => (pattern.includes('-') || pattern.includes('*') ? pattern : `${pattern}-*`);

/** Compiles a validated filter into a test on an event's type and stream name. */
export function feedFilterMatcher(filter: FeedFilter): (event: { type: string; streamName: string }) => boolean {
  const types = filter.eventTypes.length === 0 ? undefined : patternRegExp(filter.eventTypes);
  const streams = filter.streams.length === 0 ? undefined : patternRegExp(filter.streams.map(streamPatternOf));
  return (event) => (types === undefined || types.test(event.type)) && (streams === undefined || streams.test(event.streamName));
}

/**
 * Stream-name prefixes that cover every stream the filter may match (empty: all), so a store
 * can skip other streams before they reach the matcher.
 */
export function streamPrefixesOf(filter: FeedFilter): string[] {
  if (filter.streams.length === 0) return [];
  const prefixes = filter.streams.map((pattern) => {
    const stream = streamPatternOf(pattern);
    const star = stream.indexOf('*');
    return star === -1 ? stream : stream.slice(0, star);
  });
  return prefixes.includes('') ? [] : [...new Set(prefixes)];
}

/** `a,b,c` from a query string into a list; absent or empty: no pattern. */
export const patternsFromQuery = (text: string | undefined): string[] =>
  text === undefined || text.trim() === ''
    ? []
    : text
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '');
