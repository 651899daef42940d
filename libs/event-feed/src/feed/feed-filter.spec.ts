import { FeedFilterError, feedFilterMatcher, patternsFromQuery, streamPrefixesOf, validateFeedFilter } from './feed-filter';

const event = (type: string, streamName: string) => ({ type, streamName });

describe('feed filter', () => {
  it.each([
    [{ eventTypes: [], streams: [] }, event('AgentPresenceChanged', 'agent-ann'), true],
    [{ eventTypes: ['ConversationClosed'], streams: [] }, event('ConversationClosed', 'conversation-c1'), true],
    [{ eventTypes: ['ConversationClosed'], streams: [] }, event('ConversationClosedX', 'conversation-c1'), false],
    [{ eventTypes: ['Conversation*'], streams: [] }, event('ConversationPicked', 'conversation-c1'), true],
    [{ eventTypes: ['*Capacity*'], streams: [] }, event('AgentCapacityReserved', 'agent-ann'), true],
    [{ eventTypes: ['*Capacity*'], streams: [] }, event('AgentPresenceChanged', 'agent-ann'), false],
    [{ eventTypes: [], streams: ['conversation'] }, event('ConversationOpened', 'conversation-c1'), true],
    [{ eventTypes: [], streams: ['conversation'] }, event('QueueCreated', 'queue-conversation'), false],
    [{ eventTypes: [], streams: ['agent-ann'] }, event('AgentRegistered', 'agent-ann'), true],
    [{ eventTypes: [], streams: ['agent-ann'] }, event('AgentRegistered', 'agent-anna'), false],
    [{ eventTypes: [], streams: ['queue-support*'] }, event('QueueCreated', 'queue-support-fr'), true],
    [{ eventTypes: ['Queue*'], streams: ['conversation', 'agent'] }, event('QueueCreated', 'queue-q1'), false],
    [{ eventTypes: ['Agent*'], streams: ['conversation', 'agent'] }, event('AgentRegistered', 'agent-a'), true],
    // Regular-expression characters in a pattern are literal.
    [{ eventTypes: ['a.b'], streams: [] }, event('aXb', 'queue-q'), false],
  ])('given %j, when %j is tested, then it matches: %s', (filter, tested, expected) => {
    expect(feedFilterMatcher(validateFeedFilter(filter))(tested)).toBe(expected);
  });

  it.each([
    [{ eventTypes: ['has space'], streams: [] }, 'eventTypes'],
    [{ eventTypes: [], streams: [''] }, 'streams'],
    [{ eventTypes: ['x'.repeat(201)], streams: [] }, 'eventTypes'],
    [{ eventTypes: ['a|b'], streams: [] }, 'eventTypes'],
    [{ eventTypes: Array.from({ length: 51 }, (_, i) => `T${i}`), streams: [] }, 'eventTypes'],
    [{ eventTypes: [], streams: 'conversation' as unknown as string[] }, 'streams'],
  ])('given %j, when validated, then it is refused naming %s', (filter, field) => {
    expect(() => validateFeedFilter(filter)).toThrow(FeedFilterError);
    try {
      validateFeedFilter(filter);
    } catch (error) {
      expect(error).toMatchObject({ code: 'FEED.INVALID_FILTER', field });
    }
  });

  it('given duplicates, when validated, then each pattern is kept once', () => {
    expect(validateFeedFilter({ eventTypes: ['A', 'A'], streams: ['queue', 'queue'] })).toEqual({ eventTypes: ['A'], streams: ['queue'] });
  });

  it('gives the stream prefixes a store may skip by: none when a pattern starts with a wildcard', () => {
    expect(streamPrefixesOf({ eventTypes: [], streams: [] })).toEqual([]);
    expect(streamPrefixesOf({ eventTypes: [], streams: ['conversation', 'queue-support*', 'agent-ann'] })).toEqual([
      'conversation-',
      'queue-support',
      'agent-ann',
    ]);
    expect(streamPrefixesOf({ eventTypes: [], streams: ['conversation', '*-x'] })).toEqual([]);
  });

  it('reads comma-separated patterns from a query string', () => {
    expect(patternsFromQuery(undefined)).toEqual([]);
    expect(patternsFromQuery(' ')).toEqual([]);
    expect(patternsFromQuery('Conversation*, Agent*,,')).toEqual(['Conversation*', 'Agent*']);
  });
});
