/**
 * What the crash suite checks in the event log itself, read through the library (readAll, page
 * by page): every acknowledged command's event is where its answer said; every conversation's
 * history is one the domain could have written (each command's events re-decided from the state
 * before them, with contiguous revisions and each command applied once); every agent's history
 * folds, and never reserved past capacity without force; and what each agent should hold now.
 */
import {
  capacityUsage,
  decide,
  evolve,
  evolveAgent,
  initialAgentState,
  initialConversationState,
  isAgentEvent,
  isConversationEvent,
  type AgentEvent,
  type AgentState,
  type Channel,
  type ConversationCommand,
  type ConversationEvent,
  type ConversationPolicy,
  type ConversationState,
} from '@lib/domain';
import type { EventStore, RecordedEvent } from '@lib/event-store';
import type { Ack } from './crashable-service';

const PAGE = 1_000;
const MAX_PAGES = 10_000;

/** Every stream of the log, its events in revision order (as read in position order). */
export const readWholeLog = async (store: EventStore): Promise<{ head: number; events: number; streams: Map<string, RecordedEvent[]> }> => {
  const head = await store.headPosition();
  const streams = new Map<string, RecordedEvent[]>();
  let after = 0;
  let events = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const batch = await store.readAll({ after, maxCount: PAGE });
    if (batch.length === 0) break;
    for (const event of batch) {
      const list = streams.get(event.streamName) ?? [];
      list.push(event);
      streams.set(event.streamName, list);
      if (event.position <= after) throw new Error(`readAll went backwards: ${event.position} after ${after}`);
      after = event.position;
    }
    events += batch.length;
  }
  for (const list of streams.values()) list.sort((a, b) => a.revision - b.revision);
  return { head, events, streams };
};

export interface TimerDurations {
  /** CUSTOMER_DISCONNECT_TIMEOUT: the only timer whose events do not carry their duration. */
  customerDisconnectTimeoutMs: number;
}

export interface ConversationFold {
  conversationId: string;
  state: ConversationState;
  /** The status after each revision (index = revision). */
  statusAt: string[];
  problems: string[];
}

export interface AgentFold {
  agentId: string;
  state: AgentState;
  /** The presence after each revision (index = revision). */
  presenceAt: Array<string | undefined>;
  problems: string[];
}

const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );

/** The command that would have written this event (the first of its command's events). */
const commandFor = (event: ConversationEvent, timers: TimerDurations): ConversationCommand | string => {
  const metadata = { now: event.data.at };
  switch (event.type) {
    case 'ConversationOpened': {
      const { conversationId, channel, queueId, customerId, priority } = event.data;
      return { type: 'OpenConversation', data: { conversationId, channel, queueId, customerId, priority }, metadata };
    }
    case 'ConversationPicked':
      return { type: 'PickConversation', data: { agentId: event.data.agentId }, metadata };
    case 'ConversationPushedToAgent':
      return { type: 'AssignConversation', data: { agentId: event.data.agentId, force: false, by: event.data.by }, metadata };
    case 'ConversationForceAssigned':
      return { type: 'AssignConversation', data: { agentId: event.data.agentId, force: true, by: event.data.by }, metadata };
    case 'ConversationPushAccepted':
      return { type: 'AcceptAssignment', data: { agentId: event.data.agentId }, metadata };
    case 'ConversationPushRejected':
      return { type: 'RejectAssignment', data: { agentId: event.data.agentId, reason: event.data.reason }, metadata };
    case 'ConversationPushReservationExpired':
      return { type: 'ExpirePushReservation', data: { timeoutMs: event.data.timeoutMs }, metadata };
    case 'ConversationReleasedToQueue':
      return { type: 'ReleaseConversation', data: { agentId: event.data.agentId }, metadata };
    case 'ConversationTransferredToQueue':
      return { type: 'TransferConversation', data: { agentId: event.data.agentId, toQueueId: event.data.toQueueId }, metadata };
    case 'ConversationTransferredToAgent':
      return { type: 'TransferConversation', data: { agentId: event.data.fromAgentId, toAgentId: event.data.toAgentId }, metadata };
    case 'ConversationRequeuedOnSessionClose':
    case 'ConversationParked':
    case 'ConversationWrapUpCompleted':
      return { type: 'CloseSession', data: { agentId: event.data.agentId }, metadata };
    case 'ConversationRequeuedAfterAgentDisconnect':
      return { type: 'TimeOutAgentDisconnect', data: { timeoutMs: event.data.timeoutMs }, metadata };
    case 'ConversationEndedByAgent':
      return { type: 'EndConversation', data: { by: 'agent', agentId: event.data.agentId }, metadata };
    case 'ConversationEndedByCustomer':
    case 'ConversationAbandonedByCustomer':
      return event.data.reason === 'customer_disconnect_timeout'
        ? { type: 'TimeOutCustomerDisconnect', data: { timeoutMs: timers.customerDisconnectTimeoutMs }, metadata }
        : { type: 'EndConversation', data: { by: 'customer' }, metadata };
    case 'ConversationAutoMovedToWrapUp':
      return { type: 'AutoClose', data: { afterMs: event.data.afterMs, forStatus: 'active' }, metadata };
    case 'ConversationAutoClosed':
      return { type: 'AutoClose', data: { afterMs: event.data.afterMs, forStatus: event.data.fromStatus as 'open' }, metadata };
    case 'ConversationRevivedByAgent':
      return { type: 'ReviveConversation', data: { agentId: event.data.agentId }, metadata };
    case 'ConversationRevivedByCustomer':
      return 'a customer revive that does not follow its customer message in the same command';
    case 'ConversationResolved':
      return { type: 'ResolveRecord', data: { agentId: event.data.agentId }, metadata };
    case 'ConversationClosedForInactivity':
      return { type: 'CloseForInactivity', data: { timeoutMs: event.data.timeoutMs }, metadata };
    case 'ConversationForceClosed':
      return { type: 'ForceClose', data: { supervisorId: event.data.supervisorId, reason: event.data.reason }, metadata };
    case 'AgentDisconnected':
      return { type: 'DisconnectAgent', data: { agentId: event.data.agentId }, metadata };
    case 'AgentReconnected':
      return { type: 'ReconnectAgent', data: { agentId: event.data.agentId }, metadata };
    case 'CustomerDisconnected':
      return { type: 'DisconnectCustomer', data: {}, metadata };
    case 'CustomerReconnected':
      return { type: 'ReconnectCustomer', data: {}, metadata };
    case 'CustomerMessageReceived':
      return { type: 'RecordMessage', data: { from: 'customer' }, metadata };
    case 'AgentMessageSent':
      return { type: 'RecordMessage', data: { from: 'agent', agentId: event.data.agentId }, metadata };
    case 'ConsultStarted':
      return { type: 'StartConsult', data: { agentId: event.data.agentId, consultantId: event.data.consultantId }, metadata };
    case 'ConsultEnded':
      return { type: 'EndConsult', data: { consultantId: event.data.consultantId }, metadata };
    case 'MonitoringStarted':
      return { type: 'StartMonitoring', data: { supervisorId: event.data.supervisorId }, metadata };
    default: {
      const unknown: never = event;
      return `unknown event ${(unknown as { type: string }).type}`;
    }
  }
};

interface Metadata {
  commandId?: string;
  eventIndex?: number;
  eventCount?: number;
}

/**
 * Folds one conversation stream through the domain: revisions contiguous from 0; the events of
 * each command together, complete, and that command's id nowhere else in the stream; each
 * command's events exactly what decide() gives for that command on the state before them.
 */
export const foldConversation = (
  stream: string,
  recorded: readonly RecordedEvent[],
  policy: ConversationPolicy,
  timers: TimerDurations,
): ConversationFold => {
  const conversationId = stream.slice('conversation-'.length);
  const problems: string[] = [];
  const statusAt: string[] = [];
  let state: ConversationState = initialConversationState();
  const seenCommands = new Set<string>();
  recorded.forEach((event, index) => {
    if (event.revision !== index) problems.push(`revision ${event.revision} where ${index} was due`);
  });
  for (let index = 0; index < recorded.length && problems.length < 5;) {
    const first = recorded[index];
    const metadata = first.metadata as Metadata;
    const commandId = metadata.commandId;
    const count = metadata.eventCount ?? 1;
    const group = recorded.slice(index, index + count);
    const where = `${stream}@${first.revision} (${first.type}, command ${commandId})`;
    if (commandId === undefined) problems.push(`${where}: no commandId in its metadata`);
    else if (seenCommands.has(commandId)) problems.push(`${where}: command ${commandId} applied a second time`);
    if (commandId !== undefined) seenCommands.add(commandId);
    group.forEach((event, i) => {
      const m = event.metadata as Metadata;
      if (m.commandId !== commandId || m.eventIndex !== i || m.eventCount !== count) {
        problems.push(`${where}: event ${event.revision} is not event ${i} of ${count} of that command (${canonical(m)})`);
      }
    });
    if (group.length !== count) problems.push(`${where}: ${group.length} of the command's ${count} events are in the stream`);
    const events = group.map((event) => event as unknown as RecordedEvent);
    if (!events.every((event) => isConversationEvent(event))) {
      problems.push(`${where}: not a conversation event type`);
      break;
    }
    const domainEvents = events.map((event) => ({ type: event.type, data: event.data }) as ConversationEvent);
    const command = commandFor(domainEvents[0], timers);
    if (typeof command === 'string') {
      problems.push(`${where}: ${command}`);
    } else {
      try {
        const decided = decide(command, state, policy);
        const want = canonical(decided.map((event) => ({ type: event.type, data: event.data })));
        const got = canonical(domainEvents.map((event) => ({ type: event.type, data: event.data })));
        if (want !== got) problems.push(`${where}: decide() on the state before it gives ${want}, the log has ${got}`);
      } catch (error) {
        const code = (error as { code?: string }).code;
        problems.push(
          `${where}: decide() refuses it on the state before it (status ${state.status}): ${code ?? ''} ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    for (const event of domainEvents) {
      try {
        state = evolve(state, event);
      } catch (error) {
        problems.push(`${where}: evolve() throws: ${error instanceof Error ? error.message : String(error)}`);
      }
      statusAt.push(state.status);
    }
    index += Math.max(1, group.length);
  }
  return { conversationId, state, statusAt, problems };
};

/**
 * Folds one agent stream: revisions contiguous from 0; no reservation (other than a forced one)
 * takes the agent past its capacity; nothing is released or blocked that the agent did not hold.
 */
export const foldAgent = (stream: string, recorded: readonly RecordedEvent[]): AgentFold => {
  const agentId = stream.slice('agent-'.length);
  const problems: string[] = [];
  const presenceAt: Array<string | undefined> = [];
  let state: AgentState = initialAgentState();
  recorded.forEach((event, index) => {
    const where = `${stream}@${event.revision} (${event.type})`;
    if (event.revision !== index) problems.push(`revision ${event.revision} where ${index} was due`);
    if (!isAgentEvent(event)) {
      problems.push(`${where}: not an agent event type`);
      return;
    }
    const domainEvent = { type: event.type, data: event.data } as AgentEvent;
    const before = state;
    if (before.status === 'registered') {
      if (
        (domainEvent.type === 'AgentCapacityReleased' || domainEvent.type === 'AgentCapacityBlockedForWrapUp') &&
        !before.claims[domainEvent.data.conversationId]
      ) {
        problems.push(
          `${where}: ${domainEvent.type} for conversation ${domainEvent.data.conversationId}, which the agent held no capacity for`,
        );
      }
    }
    state = evolveAgent(state, domainEvent);
    if (domainEvent.type === 'AgentCapacityReserved' && !domainEvent.data.forced && state.status === 'registered') {
      const usage = capacityUsage(state, domainEvent.data.at);
      if (usage.used + usage.blocked > usage.capacity) {
        problems.push(
          `${where}: a ${domainEvent.data.purpose} reservation for ${domainEvent.data.conversationId} takes the agent to ${usage.used}+${usage.blocked} of ${usage.capacity}`,
        );
      }
    }
    presenceAt.push(state.status === 'registered' ? state.presence : undefined);
  });
  return { agentId, state, presenceAt, problems };
};

/** The last event a command of this action writes may be one of these types. */
const TYPES_OF: Record<string, string[]> = {
  open: ['ConversationOpened'],
  pick: ['ConversationPicked'],
  'assign-forced': ['ConversationForceAssigned'],
  'assign-offered': ['ConversationPushedToAgent'],
  accept: ['ConversationPushAccepted'],
  reject: ['ConversationPushRejected'],
  'end-by-agent': ['ConversationEndedByAgent'],
  'end-by-customer': ['ConversationEndedByCustomer', 'ConversationAbandonedByCustomer'],
  'close-session': ['ConversationWrapUpCompleted', 'ConversationRequeuedOnSessionClose', 'ConversationParked'],
  release: ['ConversationReleasedToQueue'],
  'transfer-queue': ['ConversationTransferredToQueue'],
  'transfer-agent': ['ConversationTransferredToAgent'],
  resolve: ['ConversationResolved'],
  revive: ['ConversationRevivedByAgent'],
  'agent-message': ['AgentMessageSent'],
  'customer-message': ['CustomerMessageReceived', 'ConversationRevivedByCustomer'],
  'agent-disconnect': ['AgentDisconnected'],
  'agent-reconnect': ['AgentReconnected'],
  'customer-disconnect': ['CustomerDisconnected'],
  'customer-reconnect': ['CustomerReconnected'],
  consult: ['ConsultStarted'],
  'consult-end': ['ConsultEnded'],
  monitor: ['MonitoringStarted'],
  'force-close': ['ConversationForceClosed'],
  presence: ['AgentPresenceChanged'],
};

/**
 * An acknowledged command is in the log when its stream has an event at the answered revision,
 * at the answered position, written by that command (its Idempotency-Key is the command id), of
 * a type the command writes last, and the status it answered is the stream's status there.
 * Answers the problem, or undefined when it is there.
 */
export const whereIsAck = (
  ack: Ack,
  streams: ReadonlyMap<string, readonly RecordedEvent[]>,
  conversations: ReadonlyMap<string, ConversationFold>,
  agents: ReadonlyMap<string, AgentFold>,
): string | undefined => {
  const events = streams.get(ack.stream) ?? [];
  if (!Number.isInteger(ack.revision) || ack.revision < 0) return `answered no revision (${String(ack.revision)})`;
  const event = events[ack.revision];
  if (!event || event.revision !== ack.revision) return `${ack.stream} has ${events.length} event(s), none at revision ${ack.revision}`;
  if (ack.position !== undefined && event.position !== ack.position) {
    return `${ack.stream}@${ack.revision} is at position ${event.position}, the answer said ${ack.position}`;
  }
  if (ack.stream.startsWith('conversation-')) {
    if (ack.position === undefined) return 'a conversation command answered no position';
    const metadata = event.metadata as Metadata;
    if (ack.idempotencyKey !== undefined && metadata.commandId !== ack.idempotencyKey) {
      return `${ack.stream}@${ack.revision} was written by command ${metadata.commandId}, not ${ack.idempotencyKey}`;
    }
    if (metadata.eventCount !== undefined && metadata.eventIndex !== metadata.eventCount - 1) {
      return `${ack.stream}@${ack.revision} is event ${metadata.eventIndex} of ${metadata.eventCount} of its command, not its last`;
    }
    const types = TYPES_OF[ack.action];
    if (types && !types.includes(event.type))
      return `${ack.stream}@${ack.revision} is ${event.type}; ${ack.action} writes ${types.join(' or ')}`;
    const status = conversations.get(ack.stream)?.statusAt[ack.revision];
    if (ack.status !== undefined && status !== ack.status)
      return `answered status ${ack.status}, the stream is ${status} at revision ${ack.revision}`;
  }
  if (ack.action === 'presence') {
    const presence = agents.get(ack.stream)?.presenceAt[ack.revision];
    if (presence !== ack.status) return `answered presence ${ack.status}, the stream says ${presence} at revision ${ack.revision}`;
    if (ack.position !== undefined && event.type !== 'AgentPresenceChanged')
      return `${ack.stream}@${ack.revision} is ${event.type}, not a presence change`;
  }
  return undefined;
};

/** What an agent should hold once its claims are settled: its active and wrap-up conversations. */
export interface ExpectedCapacity {
  used: number;
  blocked: number;
  claims: string[];
}

/**
 * Each agent's capacity as its conversations say: `used` the units of the active ones it
 * holds, `blocked` those of its wrap-up ones (WRAP_UP_CAPACITY_BLOCK=always), waiting ones none.
 */
export const expectedCapacity = (
  agentIds: readonly string[],
  conversations: Iterable<ConversationFold>,
  unitsOf: (channel: Channel) => number,
): Map<string, ExpectedCapacity> => {
  const expected = new Map<string, ExpectedCapacity>(agentIds.map((id) => [id, { used: 0, blocked: 0, claims: [] }]));
  for (const { conversationId, state } of conversations) {
    if (state.status !== 'active' && state.status !== 'wrap_up') continue;
    const row = expected.get(state.agentId);
    if (!row) continue;
    if (state.status === 'active') row.used += unitsOf(state.channel);
    else row.blocked += unitsOf(state.channel);
    row.claims.push(conversationId);
  }
  for (const row of expected.values()) row.claims.sort();
  return expected;
};
