/**
 * Properties of the conversation decider over random command sequences: from an opened
 * conversation, each generated command is decided against the current state; refused commands
 * (ConversationError, TIMER_NOT_DUE included) leave the state unchanged, accepted events are
 * folded with evolve. Time moves on by a random step before each command, and timer durations
 * come from a small set, so timers are sometimes due and sometimes not.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { supervisor, system, type Actor } from '../shared/actor';
import { actionOf, allowedActions, type ConversationAction } from './conversation.actions';
import { ASYNC_CHANNELS, CHANNELS, type Channel } from './conversation.channel';
import type { ConversationCommand } from './conversation.commands';
import { decide } from './conversation.decide';
import { ConversationError } from './conversation.errors';
import type { ConversationEvent } from './conversation.events';
import type { ConversationPolicy } from './conversation.policy';
import { evolveAll, initialConversationState, type ConversationState, type ConversationStatus } from './conversation.state';
import { runningTimers, type ConversationTimerKind } from './conversation.timers';
import { timerCommand, timerDueAt, type TimerPolicy } from './conversation.timer-policy';
import { CONVERSATION, CUSTOMER, T0, TIMER_ACTIONS, TIMER_CLOCK, isTimerAction, type TimerAction } from './testing/given-when-then';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A command without its metadata: the time is added when the sequence is played. */
type CommandBody = DistributiveOmit<ConversationCommand, 'metadata'>;

const AGENTS = ['agent-a', 'agent-b', 'agent-c'] as const;
const QUEUES = ['queue-a', 'queue-b'] as const;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Agent ids in generated commands may be symbolic, resolved against the state when the command
 * is played: `@holder` is the agent who holds it (or held it last), `@consultant` one who is
 * consulting. Without them a random walk rarely names the right agent and stays shallow.
 */
const HOLDER = '@holder';
const A_CONSULTANT = '@consultant';
const agentId = fc.oneof({ arbitrary: fc.constant(HOLDER), weight: 3 }, { arbitrary: fc.constantFrom(...AGENTS), weight: 2 });
const otherAgentId = fc.oneof({ arbitrary: fc.constant(A_CONSULTANT), weight: 1 }, { arbitrary: fc.constantFrom(...AGENTS), weight: 2 });
const queueId = fc.constantFrom(...QUEUES);
const channel = fc.constantFrom(...CHANNELS);
/** Timer durations: a few fixed ones, so that the random time steps sometimes reach them and sometimes not. */
const duration = fc.constantFrom(0, MINUTE, 5 * MINUTE, HOUR, DAY);
const assigner = fc.constantFrom<Actor>(system('routing'), supervisor('supervisor-1'));

/** The random ingredients of one command; which command they make is chosen separately. */
interface Ingredients {
  agent: string;
  other: string;
  queue: string;
  channel: Channel;
  ms: number;
  force: boolean;
  by: Actor;
  toAgent: boolean;
  reason?: string;
  supervisorId: string;
}
const ingredients: fc.Arbitrary<Ingredients> = fc.record(
  {
    agent: agentId,
    other: otherAgentId,
    queue: queueId,
    channel,
    ms: duration,
    force: fc.boolean(),
    by: assigner,
    toAgent: fc.boolean(),
    reason: fc.constantFrom('busy', 'going_on_break'),
    supervisorId: fc.constantFrom('supervisor-1', 'supervisor-2'),
  },
  { requiredKeys: ['agent', 'other', 'queue', 'channel', 'ms', 'force', 'by', 'toAgent', 'supervisorId'] },
);

/** One command per action (every command kind and variant), from the ingredients. */
const BODY_FOR: Record<ConversationAction, (i: Ingredients) => CommandBody> = {
  open: (i) => ({
    type: 'OpenConversation',
    data: { conversationId: CONVERSATION, channel: i.channel, queueId: i.queue, customerId: CUSTOMER, priority: 0 },
  }),
  pick: (i) => ({ type: 'PickConversation', data: { agentId: i.agent } }),
  assign: (i) => ({ type: 'AssignConversation', data: { agentId: i.agent, force: i.force, by: i.by } }),
  accept: (i) => ({ type: 'AcceptAssignment', data: { agentId: i.agent } }),
  reject: (i) => ({
    type: 'RejectAssignment',
    data: i.reason === undefined ? { agentId: i.agent } : { agentId: i.agent, reason: i.reason },
  }),
  'expire-push-reservation': (i) => ({ type: 'ExpirePushReservation', data: { timeoutMs: i.ms } }),
  'end-by-agent': (i) => ({ type: 'EndConversation', data: { by: 'agent', agentId: i.agent } }),
  'end-by-customer': () => ({ type: 'EndConversation', data: { by: 'customer' } }),
  'close-session': (i) => ({ type: 'CloseSession', data: { agentId: i.agent } }),
  release: (i) => ({ type: 'ReleaseConversation', data: { agentId: i.agent } }),
  transfer: (i) => ({
    type: 'TransferConversation',
    data: i.toAgent ? { agentId: i.agent, toAgentId: i.other } : { agentId: i.agent, toQueueId: i.queue },
  }),
  resolve: (i) => ({ type: 'ResolveRecord', data: { agentId: i.agent } }),
  revive: (i) => ({ type: 'ReviveConversation', data: { agentId: i.agent } }),
  'agent-disconnect': (i) => ({ type: 'DisconnectAgent', data: { agentId: i.agent } }),
  'agent-reconnect': (i) => ({ type: 'ReconnectAgent', data: { agentId: i.agent } }),
  'time-out-agent-disconnect': (i) => ({ type: 'TimeOutAgentDisconnect', data: { timeoutMs: i.ms } }),
  'customer-disconnect': () => ({ type: 'DisconnectCustomer', data: {} }),
  'customer-reconnect': () => ({ type: 'ReconnectCustomer', data: {} }),
  'time-out-customer-disconnect': (i) => ({ type: 'TimeOutCustomerDisconnect', data: { timeoutMs: i.ms } }),
  'customer-message': () => ({ type: 'RecordMessage', data: { from: 'customer' } }),
  'agent-message': (i) => ({ type: 'RecordMessage', data: { from: 'agent', agentId: i.agent } }),
  consult: (i) => ({ type: 'StartConsult', data: { agentId: i.agent, consultantId: i.other } }),
  'consult-end': (i) => ({ type: 'EndConsult', data: { consultantId: i.other } }),
  monitor: (i) => ({ type: 'StartMonitoring', data: { supervisorId: i.supervisorId } }),
  'force-close': (i) => ({ type: 'ForceClose', data: { supervisorId: i.supervisorId, reason: i.reason ?? 'spam' } }),
  'auto-close': (i) => ({ type: 'AutoClose', data: { afterMs: i.ms } }),
  'close-for-inactivity': (i) => ({ type: 'CloseForInactivity', data: { timeoutMs: i.ms } }),
};
const ACTIONS = Object.keys(BODY_FOR) as ConversationAction[];
const CLOSING: readonly ConversationAction[] = ['force-close', 'auto-close', 'close-for-inactivity'];

/** Time to the next command: mostly seconds or minutes, sometimes days (revive window, timers). */
const gap = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 10 * MINUTE }), weight: 4 },
  { arbitrary: fc.integer({ min: 0, max: 2 * DAY }), weight: 1 },
);

/**
 * For a timer command whose condition holds: send it after the gap as drawn (`gap`), or move
 * time on to exactly its due time (`due`) or to 1 ms before it (`just-before`), when that is not
 * in the past. Without this the boundaries would almost never be hit.
 */
type Timing = 'gap' | 'due' | 'just-before';
const timing = fc.constantFrom<Timing>('gap', 'due', 'just-before');

/**
 * One step. Unsteered (`any`), it plays `action` whatever the state (mostly refused: that
 * exercises the refusals; closing ones only one time in ten until closed). Steered (`allowed`),
 * it plays one of the actions the state allows (`choice` picks which; closing ones only one time
 * in ten), so that sequences get deep instead of bouncing off refusals. Steered to a timer
 * (`timer`), it plays one of the timer actions the state allows (auto-close, which always is,
 * only one time in four), else as `allowed`.
 */
const step = fc.record({
  action: fc.constantFrom(...ACTIONS),
  steer: fc.oneof(
    { arbitrary: fc.constant('allowed' as const), weight: 6 },
    { arbitrary: fc.constant('any' as const), weight: 4 },
    { arbitrary: fc.constant('timer' as const), weight: 3 },
  ),
  choice: fc.nat(),
  ingredients,
  gap,
  timing,
});
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/** The channel a scenario opens on: live chat twice as often, for its customer connection and timer. */
const openingChannel = fc.oneof({ arbitrary: fc.constant<Channel>('live_chat'), weight: 2 }, { arbitrary: channel, weight: 7 });

const scenario = fc.record({
  channel: openingChannel,
  policy: fc.record({ customerReviveWindowMs: fc.integer({ min: 0, max: 2 * DAY }) }),
  steps: fc.array(step, { minLength: 1, maxLength: 40, size: 'max' }),
});
type Scenario = { channel: Channel; policy: ConversationPolicy; steps: Step[] };

const CALM_ACTIONS = ACTIONS.filter((a) => !CLOSING.includes(a));
const chooseAction = ({ action, steer, choice }: Step, state: ConversationState): ConversationAction => {
  if (steer === 'any') {
    // Closing actions end the sequence; on a conversation not yet closed, play them one time in ten.
    const calmDown = CLOSING.includes(action) && state.status !== 'closed' && choice % 10 !== 0;
    return calmDown ? CALM_ACTIONS[choice % CALM_ACTIONS.length] : action;
  }
  const allowed = allowedActions(state);
  if (steer === 'timer') {
    const timers = allowed.filter((a) => isTimerAction(a) && (a !== 'auto-close' || choice % 4 === 0));
    if (timers.length > 0) return timers[Math.floor(choice / 4) % timers.length];
  }
  const calm = allowed.filter((a) => !CLOSING.includes(a));
  const menu = calm.length > 0 && choice % 10 !== 0 ? calm : allowed;
  return menu.length > 0 ? menu[choice % menu.length] : action;
};

interface Played {
  command: ConversationCommand;
  before: ConversationState;
  after: ConversationState;
  /** The accepted events, or undefined when refused. */
  events?: ConversationEvent[];
  error?: unknown;
  /** Every event accepted so far, from ConversationOpened on. */
  history: ConversationEvent[];
  /** For a timer command whose condition holds in `before`: when it is due (epoch ms). */
  dueAt?: number;
}

/** When a timer command with this duration is due in `state` (epoch ms), or undefined if no clock runs for it. */
const dueAtOf = (command: ConversationCommand, state: ConversationState): number | undefined => {
  const action = actionOf(command);
  if (!isTimerAction(action) || state.status === 'none' || !allowedActions(state).includes(action)) return undefined;
  const since = TIMER_CLOCK[action].since(state);
  if (since === undefined) return undefined;
  const durationMs = 'timeoutMs' in command.data ? command.data.timeoutMs : 'afterMs' in command.data ? command.data.afterMs : NaN;
  return Date.parse(since) + durationMs;
};

/** The time at which a step plays its command: after the gap, or at (or just before) the due time if that is not in the past. */
const timeFor = (timingOf: Timing, previous: number, gapMs: number, dueAt: number | undefined): number => {
  if (dueAt === undefined || timingOf === 'gap') return previous + gapMs;
  const wanted = timingOf === 'due' ? dueAt : dueAt - 1;
  return wanted >= previous ? wanted : previous + gapMs;
};

const resolveAgents = (commandBody: CommandBody, state: ConversationState): CommandBody => {
  const holder =
    state.status === 'active' || state.status === 'waiting' || state.status === 'wrap_up'
      ? state.agentId
      : (state.status !== 'none' && state.lastAgentId) || AGENTS[0];
  const consultant = (state.status === 'active' && state.consultants[0]) || AGENTS[2];
  const resolve = (id: unknown) => (id === HOLDER ? holder : id === A_CONSULTANT ? consultant : id);
  const data: Record<string, unknown> = { ...commandBody.data };
  for (const field of ['agentId', 'toAgentId', 'consultantId']) {
    if (field in data) data[field] = resolve(data[field]);
  }
  return { ...commandBody, data } as CommandBody;
};

/** Plays a scenario from a freshly opened conversation, calling `check` after every command. */
const play = ({ channel: openedOn, policy, steps }: Scenario, check: (played: Played) => void): void => {
  const opening: ConversationCommand = {
    type: 'OpenConversation',
    data: { conversationId: CONVERSATION, channel: openedOn, queueId: 'queue-a', customerId: CUSTOMER, priority: 0 },
    metadata: { now: T0 },
  };
  const history = decide(opening, initialConversationState(), policy);
  let state = evolveAll(history);
  let time = Date.parse(T0);
  for (const step of steps) {
    const commandBody = BODY_FOR[chooseAction(step, state)](step.ingredients);
    const withAgents = { ...resolveAgents(commandBody, state), metadata: { now: T0 } } as ConversationCommand;
    const dueAt = dueAtOf(withAgents, state);
    time = timeFor(step.timing, time, step.gap, dueAt);
    const command = { ...withAgents, metadata: { now: new Date(time).toISOString() } } as ConversationCommand;
    const before = state;
    let events: ConversationEvent[] | undefined;
    let error: unknown;
    try {
      events = decide(command, before, policy);
    } catch (thrown) {
      error = thrown;
    }
    if (events) {
      state = evolveAll(events, before);
      history.push(...events);
    }
    check({ command, before, after: state, events, error, history, dueAt });
  }
};

/** (from, to) status changes that docs/architecture.md's transitions table allows for a channel (same status is always fine). */
const designAllows = (
  from: ConversationStatus | 'none',
  to: ConversationStatus | 'none',
  channel: Channel,
  events: ConversationEvent[],
): boolean => {
  if (from === to) return true;
  const isAsync = ASYNC_CHANNELS.includes(channel);
  if (
    to === 'closed' &&
    from !== 'closed' &&
    events.some((e) => e.type === 'ConversationForceClosed' || e.type === 'ConversationAutoClosed')
  )
    return true;
  switch (`${from}->${to}`) {
    case 'open->active':
      return true;
    case 'open->closed':
      return channel === 'live_chat';
    case 'active->wrap_up':
      return channel !== 'record';
    case 'active->open':
      return true;
    case 'active->waiting':
      return isAsync;
    case 'active->closed':
      return channel === 'record' || channel === 'live_chat';
    case 'wrap_up->closed':
      return true;
    case 'waiting->closed':
    case 'waiting->active':
    case 'waiting->open':
      return isAsync;
    default:
      return false;
  }
};

/** Cheap enough (plain checks, no jest matchers in the loop) for many runs of up to 40 commands. */
const RUNS = { numRuns: 1000 };
const ACTOR_KINDS: readonly string[] = ['agent', 'customer', 'supervisor', 'system'];

describe('conversation decider: properties over random command sequences', () => {
  it('the generated sequences reach every status, get every action accepted and every timer both due and not (so the properties mean something)', () => {
    const reached = new Set<string>();
    const accepted = new Set<string>();
    const timers = new Set<string>();
    // As many sequences as the invariants below are checked on; the seed keeps this guard stable.
    for (const s of fc.sample(scenario, { ...RUNS, seed: 20260101 })) {
      play(s, ({ command, before, after, events, error, dueAt }) => {
        reached.add(after.status);
        if (after.status === 'active') {
          if (after.assignment === 'awaiting_acceptance') reached.add('active, awaiting acceptance');
          if (!after.agentConnected) reached.add('active, agent disconnected');
          if (!after.customerConnected) reached.add('active, customer disconnected');
          if (after.consultants.length > 0) reached.add('active, consulting');
        }
        const action = actionOf(command);
        if (events) accepted.add(action);
        if (events && before.status === 'waiting' && after.status === 'open') accepted.add('customer revive');
        if (events && before.status === 'active' && 'toAgentId' in command.data && before.consultants.includes(command.data.toAgentId)) {
          accepted.add('transfer to the consulting agent');
        }
        if (dueAt !== undefined) {
          const now = Date.parse(command.metadata.now);
          if (events && now === dueAt) timers.add(`${action}: fired exactly when due`);
          if (error instanceof ConversationError && error.code === 'CONVERSATION.TIMER_NOT_DUE') {
            timers.add(`${action}: not due`);
            if (now === dueAt - 1) timers.add(`${action}: not due 1 ms before`);
          }
        }
      });
    }
    expect([...reached].sort()).toEqual([
      'active',
      'active, agent disconnected',
      'active, awaiting acceptance',
      'active, consulting',
      'active, customer disconnected',
      'closed',
      'open',
      'waiting',
      'wrap_up',
    ]);
    expect([...accepted].sort()).toEqual(
      [...ACTIONS.filter((a) => a !== 'open'), 'customer revive', 'transfer to the consulting agent'].sort(),
    );
    expect([...timers].sort()).toEqual(
      TIMER_ACTIONS.flatMap((a) => [`${a}: fired exactly when due`, `${a}: not due`, `${a}: not due 1 ms before`]).sort(),
    );
  });

  it('holds its invariants after every command', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        let closedState: ConversationState | undefined;
        play(s, ({ command, before, after, events, error, history, dueAt }) => {
          const at = `${command.type} ${JSON.stringify(command.data)} on ${s.channel}, ${before.status}`;
          const check = (ok: boolean, what: string) => {
            if (!ok) throw new Error(`${what} (after ${at})`);
          };
          const refusal = error instanceof ConversationError ? error : undefined;

          // (d) decide throws nothing but ConversationError (no TypeError and the like), and a
          // refused command leaves the state as it was.
          if (error !== undefined && refusal === undefined) throw error;
          check(refusal === undefined || after === before, 'a refused command changed the state');

          // (e) every action not in allowedActions(state) is refused with TRANSITION_NOT_ALLOWED, the
          // current status and that list; opening again is ALREADY_EXISTS. An allowed action is never
          // refused as a transition.
          const action = actionOf(command);
          const allowed = allowedActions(before);
          if (action === 'open') {
            check(refusal?.code === 'CONVERSATION.ALREADY_EXISTS', `opening again gave ${refusal?.code ?? 'events'}`);
          } else if (!allowed.includes(action)) {
            check(
              refusal?.code === 'CONVERSATION.TRANSITION_NOT_ALLOWED',
              `${action} is not allowed but gave ${refusal?.code ?? 'events'}`,
            );
            check(refusal?.status === before.status, `refusal names status ${refusal?.status}`);
            check(isDeepStrictEqual(refusal?.allowedActions, allowed), `refusal lists ${refusal?.allowedActions} instead of ${allowed}`);
          } else {
            check(refusal?.code !== 'CONVERSATION.TRANSITION_NOT_ALLOWED', `${action} is allowed but refused as a transition`);
          }

          // (f) an allowed timer fires if and only if its condition has lasted its duration; if not, it
          // is refused with TIMER_NOT_DUE, naming the timer and when it will be due. Nothing else is
          // ever refused as not due.
          if (dueAt !== undefined && isTimerAction(action)) {
            const now = Date.parse(command.metadata.now);
            if (now >= dueAt) {
              check(events !== undefined, `${action} was due (at ${new Date(dueAt).toISOString()}) but gave ${refusal?.code}`);
            } else {
              check(
                refusal?.code === 'CONVERSATION.TIMER_NOT_DUE',
                `${action} was not due until ${new Date(dueAt).toISOString()} but gave ${refusal?.code ?? 'events'}`,
              );
              check(
                isDeepStrictEqual(refusal?.details, { timer: TIMER_CLOCK[action].timer, dueAt: new Date(dueAt).toISOString() }),
                `TIMER_NOT_DUE details ${JSON.stringify(refusal?.details)}`,
              );
              check(
                refusal?.status === before.status && isDeepStrictEqual(refusal?.allowedActions, allowed),
                'TIMER_NOT_DUE misstates the conversation',
              );
            }
          } else {
            check(refusal?.code !== 'CONVERSATION.TIMER_NOT_DUE', `${action} refused as not due without a running timer`);
          }

          // (a) once closed, every later command is refused and the state stays exactly the closed state.
          if (closedState !== undefined) {
            check(events === undefined, 'a closed conversation accepted a command');
            check(isDeepStrictEqual(after, closedState), 'a closed conversation changed');
          }
          if (after.status === 'closed') closedState ??= after;

          // (b) never two agents: one holder in active / waiting / wrap_up, none in open / closed.
          switch (after.status) {
            case 'active':
              check(AGENTS.includes(after.agentId as (typeof AGENTS)[number]), `active with agentId ${after.agentId}`);
              check(new Set(after.consultants).size === after.consultants.length, `consultants repeated: ${after.consultants}`);
              break;
            case 'waiting':
            case 'wrap_up':
              check(AGENTS.includes(after.agentId as (typeof AGENTS)[number]), `${after.status} with agentId ${after.agentId}`);
              break;
            case 'open':
            case 'closed':
              check(!('agentId' in after) && !('consultants' in after), `${after.status} still names an agent`);
              break;
            default:
              throw new Error(`Unexpected status ${after.status}`);
          }

          // (c) replay: folding every accepted event from scratch gives the state kept step by step.
          check(isDeepStrictEqual(evolveAll(history), after), 'replaying the history gives another state');

          if (events !== undefined) {
            // Every accepted command says something, and every event carries its time, actor and reason.
            check(events.length > 0, 'an accepted command produced no event');
            for (const e of events) {
              check(e.data.conversationId === CONVERSATION, `${e.type} names conversation ${e.data.conversationId}`);
              check(e.data.at === command.metadata.now, `${e.type} is dated ${e.data.at}, not the command's time`);
              check(ACTOR_KINDS.includes(e.data.by?.kind) && e.data.by.id.length > 0, `${e.type} has actor ${JSON.stringify(e.data.by)}`);
              check(typeof e.data.reason === 'string' && /\S/.test(e.data.reason), `${e.type} has no reason`);
            }
            // Each status change is a row of docs/architecture.md's transitions table, for this channel.
            check(
              designAllows(before.status, after.status, s.channel, events),
              `${before.status} -> ${after.status} is not in docs/architecture.md's transitions table`,
            );
          }
        });
      }),
      RUNS,
    );
  });

  it("the running timers are exactly the timer actions the state allows, and each one's command is refused 1 ms before it is due and accepted when due", () => {
    const ACTION_OF_TIMER: Record<ConversationTimerKind, TimerAction> = {
      auto_close: 'auto-close',
      push_reservation: 'expire-push-reservation',
      agent_disconnect: 'time-out-agent-disconnect',
      customer_disconnect: 'time-out-customer-disconnect',
      inactivity: 'close-for-inactivity',
    };
    const ms = fc.integer({ min: 0, max: 2 * DAY });
    const policy: fc.Arbitrary<TimerPolicy> = fc.record({
      autoClose: fc.record(
        Object.fromEntries(CHANNELS.map((c) => [c, fc.record({ open: ms, active: ms, waiting: ms, wrap_up: ms })])),
      ) as fc.Arbitrary<TimerPolicy['autoClose']>,
      pushReservationTimeoutMs: ms,
      agentDisconnectTimeoutMs: ms,
      customerDisconnectTimeoutMs: ms,
      waitingInactivityTimeoutMs: ms,
    });
    fc.assert(
      fc.property(scenario, policy, (s, timerPolicy) => {
        play(s, ({ after }) => {
          if (after.status === 'none') return;
          const timers = runningTimers(after);
          const allowedTimerActions = allowedActions(after).filter(isTimerAction).sort();
          const running = timers.map((t) => ACTION_OF_TIMER[t.kind]).sort();
          if (!isDeepStrictEqual(running, allowedTimerActions)) {
            throw new Error(`running ${running} but the state allows ${allowedTimerActions} (${after.status})`);
          }
          for (const timer of timers) {
            const action = ACTION_OF_TIMER[timer.kind];
            if (timer.since !== TIMER_CLOCK[action].since(after)) throw new Error(`${timer.kind} runs since ${timer.since}`);
            const dueAt = timerDueAt(timer, after.channel, timerPolicy) as string;
            const early = timerCommand(timer, after.channel, timerPolicy, new Date(Date.parse(dueAt) - 1).toISOString());
            const onTime = timerCommand(timer, after.channel, timerPolicy, dueAt);
            if (!early || !onTime) throw new Error(`${timer.kind} has no command under a policy without "never"`);
            let refusal: unknown;
            try {
              decide(early, after, s.policy);
            } catch (error) {
              refusal = error;
            }
            if (!(refusal instanceof ConversationError) || refusal.code !== 'CONVERSATION.TIMER_NOT_DUE') {
              throw new Error(`${timer.kind} fired 1 ms before ${dueAt}`);
            }
            if (decide(onTime, after, s.policy).length === 0) throw new Error(`${timer.kind} did nothing when due`);
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  // Once a bug: a transfer to the agent who was consulting left the new holder in `consultants`.
  // The coverage guard above makes sure such transfers are generated.
  it('the agent who holds an active conversation is never also one of its consultants', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        play(s, ({ after }) => {
          if (after.status === 'active' && after.consultants.includes(after.agentId)) {
            throw new Error(`${after.agentId} holds it and is listed as a consultant`);
          }
        });
      }),
      { numRuns: 300 },
    );
  });
});
