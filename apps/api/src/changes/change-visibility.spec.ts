/** Which conversation changes an agent is told of, given the states before and after (hand-made states). */
import type { ConversationState } from '@lib/domain';
import { agentSeesConversationChange } from './change-visibility';

const facts = {
  id: 'c',
  channel: 'sms' as const,
  queueId: 'support',
  customerId: 'cust',
  priority: 0,
  openedAt: '2026-03-01T08:00:00.000Z',
  statusSince: '2026-03-01T08:00:00.000Z',
  lastActivityAt: '2026-03-01T08:00:00.000Z',
  autoCloseClockSince: '2026-03-01T08:00:00.000Z',
  customerConnected: true,
  unreadCustomerMessages: 0,
  supervisors: [],
  declinedBy: [],
};
const none: ConversationState = { status: 'none' };
const open = (queueId = 'support', lastAgentId?: string): ConversationState => ({ ...facts, status: 'open', queueId, lastAgentId });
const active = (agentId: string, consultants: string[] = []): ConversationState => ({
  ...facts,
  status: 'active',
  agentId,
  lastAgentId: agentId,
  assignment: 'accepted',
  forced: false,
  agentConnected: true,
  consultants,
});

describe('agentSeesConversationChange', () => {
  it('opened in a queue the agent serves: yes; in another queue: no', () => {
    expect(agentSeesConversationChange('ann', ['support'], none, open('support'))).toBe(true);
    expect(agentSeesConversationChange('ann', ['support'], none, open('billing'))).toBe(false);
  });

  it('picked by someone else from the agent’s queue: yes (it leaves the list); then that one’s work: no', () => {
    expect(agentSeesConversationChange('ann', ['support'], open(), active('bob'))).toBe(true);
    expect(agentSeesConversationChange('ann', ['support'], active('bob'), active('bob'))).toBe(false);
  });

  it('held, held before, or consulted on: yes, whatever the queue', () => {
    expect(agentSeesConversationChange('ann', [], open('billing'), active('ann'))).toBe(true);
    expect(agentSeesConversationChange('ann', [], active('ann'), open('billing', 'ann'))).toBe(true);
    expect(agentSeesConversationChange('ann', [], active('bob', ['ann']), active('bob', ['ann']))).toBe(true);
  });
});
