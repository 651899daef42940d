import { DEFAULT_CONVERSATION_POLICY } from '@lib/domain';
import { InMemoryEventStore } from '@lib/event-store';
import { DEFAULT_COMMAND_RETRY, HandleConversationCommand, HandleConversationCommandHandler } from '@lib/conversation-lifecycle';
import { demoHistory } from './demo-history';

describe('demo history (npm run cli -- seed)', () => {
  const options = { conversations: 200, seed: 7, start: '2026-11-20T08:00:00.000Z' };

  it('is the same for the same seed, and in time order', () => {
    const steps = demoHistory(options);
    expect(demoHistory(options)).toEqual(steps);
    expect(steps.map((s) => s.at)).toEqual([...steps.map((s) => s.at)].sort((a, b) => a - b));
  });

  it('is accepted command by command by the real handler, reaching every final status path', async () => {
    const store = new InMemoryEventStore();
    const handler = new HandleConversationCommandHandler(store, DEFAULT_CONVERSATION_POLICY, DEFAULT_COMMAND_RETRY);
    const steps = demoHistory(options);
    for (const [index, step] of steps.entries()) {
      await handler.execute(new HandleConversationCommand(step.conversationId, step.command, `seed-${index}`));
    }
    const types = new Set((await store.readAll()).map((e) => e.type));
    for (const expected of [
      'ConversationAbandonedByCustomer',
      'ConversationPushAccepted',
      'ConversationParked',
      'ConversationRevivedByAgent',
      'ConversationRevivedByCustomer',
      'ConversationTransferredToQueue',
      'ConversationReleasedToQueue',
      'ConversationResolved',
      'ConversationClosedForInactivity',
      'ConversationAutoClosed',
      'ConversationForceClosed',
      'ConversationWrapUpCompleted',
    ]) {
      expect(types).toContain(expected);
    }
  });
});
