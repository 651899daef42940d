import { PRESENCES } from '../agent/agent.presence';
import { STORED_EVENT_UPCASTERS, upcastStoredEvent } from './stored-event-upcasters';

describe('stored event upcasters: data recorded before the domain validated it, read as it meant', () => {
  const fact = { agentId: 'a1', at: '2026-01-01T00:00:00.000Z', by: { kind: 'system', id: 'administration' }, reason: 'presence_set' };

  it('given AgentPresenceChanged{presence:null}, then it reads as no change (the previous presence)', () => {
    expect(upcastStoredEvent('AgentPresenceChanged', { ...fact, presence: null, previous: 'busy' })).toEqual({
      data: { ...fact, presence: 'busy', previous: 'busy' },
      reason: 'presence null is not a presence',
    });
  });

  it('given neither presence is one, then both read as offline', () => {
    expect(upcastStoredEvent('AgentPresenceChanged', { ...fact, presence: 7, previous: null })?.data).toMatchObject({
      presence: 'offline',
      previous: 'offline',
    });
  });

  it('given AgentRegistered{presence:null}, then the agent starts offline, as a new agent does', () => {
    expect(upcastStoredEvent('AgentRegistered', { ...fact, capacity: 2, queueIds: [], presence: null })?.data).toMatchObject({
      presence: 'offline',
    });
  });

  it.each(PRESENCES)('given a valid presence (%s), then nothing is corrected', (presence) => {
    expect(upcastStoredEvent('AgentPresenceChanged', { ...fact, presence, previous: 'offline' })).toBeUndefined();
    expect(upcastStoredEvent('AgentRegistered', { ...fact, capacity: 2, queueIds: [], presence })).toBeUndefined();
  });

  it('given an unknown type, a type without an upcaster, or data that is not an object, then nothing is corrected', () => {
    expect(upcastStoredEvent('SomethingElse', { presence: null })).toBeUndefined();
    expect(upcastStoredEvent('__proto__', { presence: null })).toBeUndefined();
    expect(upcastStoredEvent('ConversationOpened', { presence: null })).toBeUndefined();
    expect(upcastStoredEvent('AgentPresenceChanged', null)).toBeUndefined();
    expect(Object.values(STORED_EVENT_UPCASTERS).filter((upcaster) => upcaster !== null)).toHaveLength(2);
  });
});
