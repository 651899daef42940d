import { CHANNELS } from '../conversation/conversation.channel';
import { validateByTable, type DataCheck } from '../shared/command-validation';
import type { AgentCommand } from './agent.commands';
import { PRESENCES, RESERVATION_PURPOSES } from './agent.presence';

export const MAX_AGENT_CAPACITY = 1000;
export const MAX_QUEUES_PER_AGENT = 100;
const MAX_RESERVATION_ID_LENGTH = 200;
const STANDINGS = ['none', 'open', 'active', 'waiting', 'wrap_up', 'closed'] as const;

/** What each agent command's data must hold: one row per command, so a new command must state its rule. */
const DATA_CHECKS: Record<AgentCommand['type'], DataCheck> = {
  RegisterAgent: (data, check) => {
    check.id(data.agentId, 'agentId');
    check.integer(data.capacity, 'capacity', 0, MAX_AGENT_CAPACITY);
    const queueIds: unknown = data.queueIds;
    if (!Array.isArray(queueIds) || queueIds.length > MAX_QUEUES_PER_AGENT) {
      check.fail('queueIds', `must be an array of at most ${MAX_QUEUES_PER_AGENT} queue ids`, queueIds);
    } else {
      queueIds.forEach((queueId: unknown, index) => check.id(queueId, `queueIds[${index}]`));
    }
    check.optional(data.presence, (presence) => check.oneOf(presence, 'presence', PRESENCES));
    check.actor(data.by, 'by');
  },
  ChangePresence: (data, check) => {
    check.oneOf(data.presence, 'presence', PRESENCES);
    check.actor(data.by, 'by');
  },
  ReserveCapacity: (data, check) => {
    check.id(data.conversationId, 'conversationId');
    check.text(data.reservationId, 'reservationId', MAX_RESERVATION_ID_LENGTH);
    check.oneOf(data.channel, 'channel', CHANNELS);
    check.id(data.queueId, 'queueId');
    check.oneOf(data.purpose, 'purpose', RESERVATION_PURPOSES);
    check.integer(data.conversationRevision, 'conversationRevision', 0);
    check.actor(data.by, 'by');
  },
  CancelReservation: (data, check) => {
    check.id(data.conversationId, 'conversationId');
    check.text(data.reservationId, 'reservationId', MAX_RESERVATION_ID_LENGTH);
    check.integer(data.conversationRevision, 'conversationRevision', 0);
  },
  SettleCapacity: (data, check) => {
    const standing = check.record(data.conversation, 'conversation');
    check.id(standing.conversationId, 'conversation.conversationId');
    check.integer(standing.revision, 'conversation.revision', -1);
    check.oneOf(standing.status, 'conversation.status', STANDINGS);
    check.optional(standing.agentId, (id) => check.id(id, 'conversation.agentId'));
    check.optional(standing.channel, (channel) => check.oneOf(channel, 'conversation.channel', CHANNELS));
    check.optional(standing.statusSince, (at) => check.time(at, 'conversation.statusSince'));
    check.optional(standing.closedByAgent, (closed) => check.boolean(closed, 'conversation.closedByAgent'));
    check.optional(data.orphanAfterMs, (ms) => check.integer(ms, 'orphanAfterMs', 0));
  },
};

/**
 * Refuses an agent command whose data could not be recorded (InvalidCommandError with code
 * AGENT.INVALID_COMMAND, naming the field), whoever sent it: no presence of null, no negative
 * capacity, no malformed queue id reaches the agent's stream.
 */
export const validateAgentCommand = (command: AgentCommand): void => {
  validateByTable('AGENT.INVALID_COMMAND', DATA_CHECKS, command);
};
