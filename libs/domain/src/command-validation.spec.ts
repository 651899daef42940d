import fc from 'fast-check';
import { decideAgent } from './agent/agent.decide';
import type { AgentCommand } from './agent/agent.commands';
import { initialAgentState, evolveAgentAll } from './agent/agent.state';
import { registered } from './agent/testing/given-when-then';
import { decide } from './conversation/conversation.decide';
import type { ConversationCommand, ConversationCommandType } from './conversation/conversation.commands';
import { evolveAll } from './conversation/conversation.state';
import { opened, picked, T0 } from './conversation/testing/given-when-then';
import { decideQueue, initialQueueState, type DefineQueue } from './queue/queue';
import { supervisor, system } from './shared/actor';
import { InvalidCommandError } from './shared/command-validation';

/**
 * The domain refuses data it could not record, whatever sent it: the checks run inside the
 * deciders, so HTTP, the CLI, timers and routing all meet them.
 */
const metadata = { now: T0 };
const ADMIN = supervisor('supervisor-1');

/** One valid command of every type: a new command type does not compile until it has a row here. */
const VALID_CONVERSATION_COMMANDS: Record<ConversationCommandType, ConversationCommand> = {
  OpenConversation: {
    type: 'OpenConversation',
    data: { conversationId: 'c-1', channel: 'sms', queueId: 'q-1', customerId: 'cust-1', priority: 0 },
    metadata,
  },
  PickConversation: { type: 'PickConversation', data: { agentId: 'a-1' }, metadata },
  AssignConversation: { type: 'AssignConversation', data: { agentId: 'a-1', force: false, by: system('routing') }, metadata },
  AcceptAssignment: { type: 'AcceptAssignment', data: { agentId: 'a-1' }, metadata },
  RejectAssignment: { type: 'RejectAssignment', data: { agentId: 'a-1', reason: 'on_break' }, metadata },
  ExpirePushReservation: { type: 'ExpirePushReservation', data: { timeoutMs: 1000 }, metadata },
  EndConversation: { type: 'EndConversation', data: { by: 'agent', agentId: 'a-1' }, metadata },
  CloseSession: { type: 'CloseSession', data: { agentId: 'a-1' }, metadata },
  ReleaseConversation: { type: 'ReleaseConversation', data: { agentId: 'a-1' }, metadata },
  TransferConversation: { type: 'TransferConversation', data: { agentId: 'a-1', toQueueId: 'q-2' }, metadata },
  ResolveRecord: { type: 'ResolveRecord', data: { agentId: 'a-1' }, metadata },
  ReviveConversation: { type: 'ReviveConversation', data: { agentId: 'a-1' }, metadata },
  DisconnectAgent: { type: 'DisconnectAgent', data: { agentId: 'a-1' }, metadata },
  ReconnectAgent: { type: 'ReconnectAgent', data: { agentId: 'a-1' }, metadata },
  TimeOutAgentDisconnect: { type: 'TimeOutAgentDisconnect', data: { timeoutMs: 1000 }, metadata },
  DisconnectCustomer: { type: 'DisconnectCustomer', data: {}, metadata },
  ReconnectCustomer: { type: 'ReconnectCustomer', data: {}, metadata },
  TimeOutCustomerDisconnect: { type: 'TimeOutCustomerDisconnect', data: { timeoutMs: 1000 }, metadata },
  RecordMessage: { type: 'RecordMessage', data: { from: 'agent', agentId: 'a-1' }, metadata },
  StartConsult: { type: 'StartConsult', data: { agentId: 'a-1', consultantId: 'a-2' }, metadata },
  EndConsult: { type: 'EndConsult', data: { consultantId: 'a-2' }, metadata },
  StartMonitoring: { type: 'StartMonitoring', data: { supervisorId: 'sup-1' }, metadata },
  ForceClose: { type: 'ForceClose', data: { supervisorId: 'sup-1', reason: 'duplicate' }, metadata },
  AutoClose: { type: 'AutoClose', data: { afterMs: 1000, forStatus: 'open' }, metadata },
  CloseForInactivity: { type: 'CloseForInactivity', data: { timeoutMs: 1000 }, metadata },
};

const VALID_AGENT_COMMANDS: Record<AgentCommand['type'], AgentCommand> = {
  RegisterAgent: {
    type: 'RegisterAgent',
    data: { agentId: 'a-1', capacity: 3, queueIds: ['q-1'], presence: 'available', by: ADMIN },
    metadata,
  },
  ChangePresence: { type: 'ChangePresence', data: { presence: 'busy', by: ADMIN }, metadata },
  ReserveCapacity: {
    type: 'ReserveCapacity',
    data: {
      conversationId: 'c-1',
      reservationId: 'r-1',
      channel: 'sms',
      queueId: 'q-1',
      purpose: 'pick',
      conversationRevision: 1,
      by: ADMIN,
    },
    metadata,
  },
  CancelReservation: {
    type: 'CancelReservation',
    data: { conversationId: 'c-1', reservationId: 'r-1', conversationRevision: 1 },
    metadata,
  },
  SettleCapacity: {
    type: 'SettleCapacity',
    data: { conversation: { conversationId: 'c-1', revision: 2, status: 'closed', channel: 'sms' } },
    metadata,
  },
};

const VALID_QUEUE_COMMAND: DefineQueue = {
  type: 'DefineQueue',
  data: { queueId: 'q-1', settings: { name: 'Support', mode: 'pick', priority: 0, method: 'round_robin' }, by: ADMIN },
  metadata,
};

const refusal = (run: () => unknown): InvalidCommandError | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof InvalidCommandError ? error : undefined;
  }
};

const withField = <C extends { data: unknown }>(command: C, field: string, value: unknown): C => {
  const data = { ...(command.data as Record<string, unknown>) };
  if (value === undefined) delete data[field];
  else data[field] = value;
  return { ...command, data } as C;
};

const OPTIONAL_FIELDS = new Set([
  'reason:RejectAssignment',
  'forStatus:AutoClose',
  'presence:RegisterAgent',
  'orphanAfterMs:SettleCapacity',
]);
const NO_ITEMS: unknown[] = [];
const JUNK: unknown[] = [null, {}, NO_ITEMS, '', ' ', 'x'.repeat(600), -1, 1.5, NaN, Infinity, true, '__proto__'];
/** Free text and flags accept some of the junk: those values are valid there. */
const VALID_THERE: Record<string, unknown[]> = {
  force: [true],
  reason: [' ', '__proto__'],
  reservationId: [' ', '__proto__'],
  queueIds: [NO_ITEMS],
};
const junkFor = (field: string): unknown[] => JUNK.filter((value) => !(VALID_THERE[field] ?? []).includes(value));

describe('command validation: every field of every command refuses what it cannot record', () => {
  const conversationState = evolveAll([opened('sms'), picked('a-1', 1)]);
  const agentState = evolveAgentAll([registered(3, ['q-1'])]);

  describe.each(Object.values(VALID_CONVERSATION_COMMANDS))('conversation $type', (command) => {
    it('given valid data, nothing is refused as invalid', () => {
      expect(refusal(() => decide(command, conversationState))).toBeUndefined();
    });

    const fields = Object.keys(command.data);
    if (fields.length === 0) return;
    it.each(fields)(
      'when %s holds null, an object, an empty or huge string, a negative or fractional number…, then CONVERSATION.INVALID_COMMAND names it',
      (field) => {
        for (const value of junkFor(field)) {
          const error = refusal(() => decide(withField(command, field, value), conversationState));
          // A string id field accepts 'x' * 64 at most; some enum fields would take none of these.
          expect({ value, code: error?.code, field: error?.field.split('.')[0] }).toEqual({
            value,
            code: 'CONVERSATION.INVALID_COMMAND',
            field,
          });
        }
      },
    );

    it.each(fields.filter((field) => !OPTIONAL_FIELDS.has(`${field}:${command.type}`)))('when %s is missing, it is refused', (field) => {
      expect(refusal(() => decide(withField(command, field, undefined), conversationState))?.field.split('.')[0]).toBe(field);
    });
  });

  describe.each(Object.values(VALID_AGENT_COMMANDS))('agent $type', (command) => {
    const state = command.type === 'RegisterAgent' ? initialAgentState() : agentState;
    it('given valid data, nothing is refused as invalid', () => {
      expect(refusal(() => decideAgent(command, state, 'a-1'))).toBeUndefined();
    });

    it.each(Object.keys(command.data))('when %s holds a value it cannot record, AGENT.INVALID_COMMAND names it', (field) => {
      for (const value of junkFor(field)) {
        const error = refusal(() => decideAgent(withField(command, field, value), state, 'a-1'));
        expect({ value, code: error?.code, field: error?.field.split(/[.[]/)[0] }).toEqual({ value, code: 'AGENT.INVALID_COMMAND', field });
      }
    });
  });

  it('the reported reproducer: re-registering an agent with presence null is refused and writes nothing', () => {
    const command = withField(VALID_AGENT_COMMANDS.RegisterAgent, 'presence', null);
    const error = refusal(() => decideAgent(command, agentState, 'a-1'));
    expect(error).toMatchObject({ code: 'AGENT.INVALID_COMMAND', field: 'presence' });
    expect(error?.message).toContain('must be one of available, busy, busy_dnd, away, offline');
  });

  it('a presence left out on re-registration keeps the current one (absent is not null)', () => {
    const command = withField(VALID_AGENT_COMMANDS.RegisterAgent, 'presence', undefined);
    expect(decideAgent(command, agentState, 'a-1')).toEqual([]);
  });

  it('a queue definition with a bad setting names the setting', () => {
    const command = {
      ...VALID_QUEUE_COMMAND,
      data: { ...VALID_QUEUE_COMMAND.data, settings: { ...VALID_QUEUE_COMMAND.data.settings, mode: null } },
    };
    expect(refusal(() => decideQueue(command as unknown as DefineQueue, initialQueueState()))).toMatchObject({
      code: 'QUEUE.INVALID_COMMAND',
      field: 'settings.mode',
    });
  });

  it('a command without a valid time is refused, whatever its type', () => {
    for (const now of [undefined, null, '', 'yesterday', '2026-13-01T00:00:00Z', '2026-01-01T00:00:00']) {
      const command = { ...VALID_CONVERSATION_COMMANDS.PickConversation, metadata: { now } } as unknown as ConversationCommand;
      expect(refusal(() => decide(command, conversationState))).toMatchObject({ field: 'metadata.now' });
    }
  });

  it('property: whatever replaces one field, the decider refuses it with a coded error or decides events whose data is that of a valid command', () => {
    const junk = fc.oneof(
      fc.anything(),
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.constantFrom(null, undefined, '__proto__', 'constructor'),
    );
    const commands = Object.values(VALID_CONVERSATION_COMMANDS);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: commands.length - 1 }), fc.string({ maxLength: 20 }), junk, (index, fieldChoice, value) => {
        const command = commands[index];
        const fields = Object.keys(command.data);
        const field = fields.length > 0 ? fields[fieldChoice.length % fields.length] : fieldChoice;
        const mutated = withField(command, field, value);
        try {
          const events = decide(mutated, conversationState);
          // Accepted: every value it recorded is one a valid command could carry.
          for (const event of events) expect(JSON.parse(JSON.stringify(event.data))).toEqual(event.data);
        } catch (error) {
          expect(error).toHaveProperty('code');
          expect(String((error as { code: string }).code)).toMatch(/^CONVERSATION\./);
        }
      }),
      { seed: 20261203, numRuns: 2000 },
    );
  });
});
