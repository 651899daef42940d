import type { Actor, Channel, ConversationCommand } from '@lib/domain';

/** One command of the demo, at the simulated time it happens. */
export interface DemoStep {
  at: number;
  conversationId: string;
  command: ConversationCommand;
}

/** A small deterministic PRNG (mulberry32): the same seed always makes the same demo. */
const random = (seed: number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const MINUTE = 60_000;
export const DEMO_QUEUES = ['support', 'billing', 'sales'];
export const DEMO_AGENTS = Array.from({ length: 8 }, (_, i) => `agent-${i + 1}`);
const QUEUES = DEMO_QUEUES;
const AGENTS = DEMO_AGENTS;
const CHANNELS: Array<[Channel, number]> = [
  ['live_chat', 35],
  ['sms', 15],
  ['persistent_chat', 15],
  ['social', 10],
  ['teams', 5],
  ['voice', 15],
  ['record', 5],
];

/**
 * A simulated contact-center day: conversations arrive every few minutes on every channel and
 * take the paths the product supports (picked, pushed and accepted, parked and revived,
 * transferred, released, abandoned, closed for inactivity, auto-closed, force closed), so a
 * report over it has something to say. Steps come back in time order.
 */
export const demoHistory = (options: { conversations: number; seed: number; start: string }): DemoStep[] => {
  const next = random(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const between = (low: number, high: number) => low + next() * (high - low);
  const chance = (p: number) => next() < p;
  const weighted = (): Channel => {
    let roll = next() * CHANNELS.reduce((sum, [, w]) => sum + w, 0);
    for (const [channel, weight] of CHANNELS) if ((roll -= weight) < 0) return channel;
    return 'live_chat';
  };

  const steps: DemoStep[] = [];
  let arrival = Date.parse(options.start);
  for (let n = 1; n <= options.conversations; n++) {
    arrival += between(0.5, 3) * MINUTE;
    const id = `demo-${options.seed}-${String(n).padStart(5, '0')}`;
    const channel = weighted();
    let queue = pick(QUEUES);
    let t = arrival;
    const at = (minutes: number) => (t += Math.round(minutes * MINUTE));
    const push = (command: Omit<ConversationCommand, 'metadata'>) =>
      steps.push({
        at: t,
        conversationId: id,
        command: { ...command, metadata: { now: new Date(t).toISOString() } } as ConversationCommand,
      });
    const customer = (from = 'customer' as const) => push({ type: 'RecordMessage', data: { from } });

    push({
      type: 'OpenConversation',
      data: { conversationId: id, channel, queueId: queue, customerId: `customer-${n}`, priority: chance(0.2) ? 2 : 0 },
    });
    if (channel === 'live_chat' && chance(0.12)) {
      at(between(1, 8));
      push({ type: 'EndConversation', data: { by: 'customer' } });
      continue;
    }
    if (chance(0.02)) {
      at(between(5, 60));
      push({ type: 'ForceClose', data: { supervisorId: 'supervisor-1', reason: 'duplicate_of_another_conversation' } });
      continue;
    }
    let agent = pick(AGENTS);
    at(between(0.2, 6));
    if (channel === 'voice') {
      push({ type: 'AssignConversation', data: { agentId: agent, force: false, by: { kind: 'system', id: 'routing' } as Actor } });
      at(between(0.05, 0.5));
      push({ type: 'AcceptAssignment', data: { agentId: agent } });
    } else {
      push({ type: 'PickConversation', data: { agentId: agent } });
    }
    if (channel === 'record') {
      at(between(5, 40));
      push({ type: 'ResolveRecord', data: { agentId: agent } });
      continue;
    }
    for (let m = Math.floor(between(1, 5)); m > 0; m--) {
      at(between(0.3, 3));
      customer();
      at(between(0.2, 2));
      push({ type: 'RecordMessage', data: { from: 'agent', agentId: agent } });
    }
    if (chance(0.1)) {
      const toQueueId = pick(QUEUES.filter((q) => q !== queue));
      at(between(0.5, 2));
      push({ type: 'TransferConversation', data: { agentId: agent, toQueueId } });
      queue = toQueueId;
      agent = pick(AGENTS);
      at(between(0.5, 5));
      push({ type: 'PickConversation', data: { agentId: agent } });
    } else if (chance(0.06)) {
      at(between(0.5, 2));
      push({ type: 'ReleaseConversation', data: { agentId: agent } });
      agent = pick(AGENTS);
      at(between(0.5, 5));
      push({ type: 'PickConversation', data: { agentId: agent } });
    }
    const async = channel === 'sms' || channel === 'persistent_chat' || channel === 'social' || channel === 'teams';
    if (async && chance(0.4)) {
      at(between(0.5, 3));
      push({ type: 'CloseSession', data: { agentId: agent } });
      if (chance(0.15)) {
        at(180);
        push({ type: 'CloseForInactivity', data: { timeoutMs: 180 * MINUTE } });
        continue;
      }
      if (chance(0.5)) {
        at(between(10, 120));
        customer();
        at(between(0.5, 10));
        agent = pick(AGENTS);
        push({ type: 'PickConversation', data: { agentId: agent } });
      } else {
        at(between(10, 120));
        push({ type: 'ReviveConversation', data: { agentId: agent } });
      }
    }
    at(between(1, 8));
    push({ type: 'EndConversation', data: { by: 'agent', agentId: agent } });
    if (chance(0.05)) {
      at(15);
      push({ type: 'AutoClose', data: { afterMs: 15 * MINUTE, forStatus: 'wrap_up' } });
      continue;
    }
    at(between(0.5, 6));
    push({ type: 'CloseSession', data: { agentId: agent } });
  }
  // Stable: a conversation's own steps keep their order when two share a millisecond.
  return steps.sort((a, b) => a.at - b.at);
};
