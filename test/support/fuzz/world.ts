/**
 * A small world the fuzz suite sets up through the API before it starts, so that routes taking
 * an id also reach queues, agents and conversations that exist, in every status.
 */
import type { TestApp } from '../start-app';

export interface World {
  queues: string[];
  agents: string[];
  /** Conversation ids, one per situation (open, active, waiting, wrap-up, closed, pushed, ...), and the spare ones. */
  conversations: string[];
  /** Ids no conversation has yet: requests may open them, others then act on them. */
  spareConversations: string[];
  supervisors: string[];
  customers: string[];
}

const step = async (t: TestApp, path: string, body: unknown): Promise<void> => {
  const answer = await t.post(path, body);
  if (answer.statusCode >= 300) {
    throw new Error(`fuzz world: POST ${path} ${JSON.stringify(body)} answered ${answer.statusCode} ${answer.text}`);
  }
};

/** Creates the world with the API, as an administrator, customers and agents would. */
export const seedWorld = async (t: TestApp): Promise<World> => {
  await step(t, '/api/queues', { id: 'support', mode: 'pick' });
  await step(t, '/api/queues', { id: 'sales', mode: 'push', priority: 10 });
  await step(t, '/api/queues', { id: 'billing', name: 'Billing', mode: 'pick', method: 'round_robin' });
  await step(t, '/api/agents', { id: 'agent-1', capacity: 10, queueIds: ['support', 'sales', 'billing'], presence: 'available' });
  await step(t, '/api/agents', { id: 'agent-2', capacity: 3, queueIds: ['support', 'sales'], presence: 'available' });
  await step(t, '/api/agents', { id: 'agent-3', capacity: 0, queueIds: ['billing'] });

  const open = (id: string, channel: string, queueId: string) =>
    step(t, '/api/conversations', { id, channel, queueId, customerId: `cust-${id}` });
  const act = (id: string, action: string, body: unknown) => step(t, `/api/conversations/${id}/${action}`, body);

  await open('conv-open', 'sms', 'support');
  await open('conv-record', 'record', 'billing');
  await open('conv-active', 'live_chat', 'support');
  await act('conv-active', 'pick', { agentId: 'agent-1' });
  await open('conv-pushed', 'sms', 'sales');
  await act('conv-pushed', 'assign', { agentId: 'agent-2' });
  await open('conv-waiting', 'sms', 'support');
  await act('conv-waiting', 'pick', { agentId: 'agent-1' });
  await act('conv-waiting', 'close-session', { agentId: 'agent-1' });
  await open('conv-wrapup', 'voice', 'support');
  await act('conv-wrapup', 'pick', { agentId: 'agent-2' });
  await act('conv-wrapup', 'end', { by: 'agent', agentId: 'agent-2' });
  await open('conv-closed', 'live_chat', 'support');
  await act('conv-closed', 'pick', { agentId: 'agent-1' });
  await act('conv-closed', 'end', { by: 'agent', agentId: 'agent-1' });
  await act('conv-closed', 'close-session', { agentId: 'agent-1' });
  await open('conv-consult', 'teams', 'support');
  await act('conv-consult', 'pick', { agentId: 'agent-1' });
  await act('conv-consult', 'consult', { agentId: 'agent-1', consultantId: 'agent-2' });

  const spare = ['conv-spare-1', 'conv-spare-2', 'conv-spare-3'];
  return {
    queues: ['support', 'sales', 'billing'],
    agents: ['agent-1', 'agent-2', 'agent-3'],
    conversations: [
      'conv-open',
      'conv-record',
      'conv-active',
      'conv-pushed',
      'conv-waiting',
      'conv-wrapup',
      'conv-closed',
      'conv-consult',
      ...spare,
    ],
    spareConversations: spare,
    supervisors: ['sup-1'],
    customers: ['cust-1'],
  };
};

/** Which kind of entity a route's `{id}` names, from its path. */
export const entityOfPath = (path: string): 'conversation' | 'agent' | 'queue' | undefined => {
  if (path.startsWith('/api/conversations/{id}')) return 'conversation';
  if (path.startsWith('/api/agents/{id}')) return 'agent';
  if (path.startsWith('/api/queues/{id}')) return 'queue';
  return undefined;
};

/** The ids of that kind that exist in the world. */
export const idsOf = (world: World, entity: ReturnType<typeof entityOfPath>): string[] => {
  switch (entity) {
    case 'conversation':
      return world.conversations;
    case 'agent':
      return world.agents;
    case 'queue':
      return world.queues;
    default:
      return [];
  }
};
