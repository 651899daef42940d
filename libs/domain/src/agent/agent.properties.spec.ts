/**
 * Properties of the agent decider over random command sequences on one agent's stream:
 * registration (and re-registration, which may lower the capacity), presence changes,
 * reservations of every purpose with random channels, queues and conversation revisions,
 * cancellations and settlements against random conversation standings, with time moving
 * forward by a random step before each command (sometimes exactly to, or 1 ms before, the end
 * of a running wrap-up block). Each command is decided against the current state; refused
 * commands (AgentError) leave it unchanged, accepted events are folded with evolveAgent.
 *
 * The capacity invariant. "used + blocked <= capacity" cannot hold after every step: a forced
 * reservation may exceed it by design, and re-registration may lower the capacity below what the
 * agent holds (the claims stay). What must hold is:
 *   (1) a non-forced reservation is only ever accepted when it fits: after it, used + blocked
 *       <= capacity (at the command's time);
 *   (2) no command other than a forced reservation takes the load above
 *       max(capacity, load just before the command) -- an agent within capacity stays within
 *       it, an agent over it (forced, or capacity lowered) only comes down;
 *   (3) hence, as long as no forced reservation was accepted and the capacity was never lowered
 *       below the load, used + blocked <= capacity after every step.
 * Revision numbers and revisions relative to the current claim are drawn so that retries,
 * superseded and later reservations and stale standings all occur; the request a reservation or
 * cancellation is made by is the current claim's or one of a few others, so that a retry, another
 * request at the same revision (refused while the claim is assigned) and a cancellation by the
 * wrong request all occur. Reservations and cancellations are held against an independent model
 * of the rules (expectedReservation, expectedCancellation).
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { agent, supervisor, system, type Actor } from '../shared/actor';
import { T0 } from '../conversation/testing/given-when-then';
import { CHANNELS, type Channel } from '../conversation/conversation.channel';
import type { AgentCommand, ConversationStanding } from './agent.commands';
import { decideAgent } from './agent.decide';
import { AgentError } from './agent.errors';
import type { AgentEvent } from './agent.events';
import { PRESENCES, type Presence, type ReservationPurpose } from './agent.presence';
import {
  capacityUsage,
  claimCounts,
  evolveAgentAll,
  initialAgentState,
  without,
  type AgentState,
  type RegisteredAgent,
} from './agent.state';
import type { CapacityPolicy, WrapUpCapacityBlock } from './capacity.policy';

const AGENT = 'agent-a';
const OTHER_AGENT = 'agent-b';
const CONVERSATIONS = ['c-1', 'c-2', 'c-3', 'c-4'] as const;
/** The requests (conversation command ids) reservations and cancellations are made by. */
const REQUESTS = ['r-1', 'r-2', 'r-3'] as const;
const QUEUES = ['queue-a', 'queue-b', 'queue-c'] as const;
const PURPOSES: readonly ReservationPurpose[] = ['pick', 'push', 'transfer', 'revive', 'forced'];
const STATUSES: readonly ConversationStanding['status'][] = ['open', 'active', 'waiting', 'wrap_up', 'closed', 'none'];
const CAPACITY_KEEPER = system('capacity');
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Presences in which each purpose may reach the agent (written from docs/architecture.md, as in the decide spec). */
const ALLOWED: Record<ReservationPurpose, readonly Presence[]> = {
  push: ['available', 'busy'],
  pick: ['available', 'busy', 'busy_dnd'],
  transfer: ['available', 'busy', 'busy_dnd'],
  revive: ['available', 'busy', 'busy_dnd'],
  forced: PRESENCES,
};

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

const wrapUpBlock: fc.Arbitrary<WrapUpCapacityBlock> = fc.constantFrom<WrapUpCapacityBlock>(
  { kind: 'always' },
  { kind: 'never' },
  { kind: 'fixed', ms: 30 * SECOND },
  { kind: 'fixed', ms: 5 * MINUTE },
);
const policy: fc.Arbitrary<CapacityPolicy> = fc.record({
  unitsPerConversation: fc.record(Object.fromEntries(CHANNELS.map((c) => [c, fc.integer({ min: 1, max: 3 })]))) as fc.Arbitrary<
    CapacityPolicy['unitsPerConversation']
  >,
  wrapUpBlock: fc.record(Object.fromEntries(CHANNELS.map((c) => [c, wrapUpBlock]))) as fc.Arbitrary<CapacityPolicy['wrapUpBlock']>,
});

type Kind = 'register' | 'presence' | 'reserve' | 'cancel' | 'settle';
const kind = fc.oneof(
  { arbitrary: fc.constant<Kind>('register'), weight: 1 },
  { arbitrary: fc.constant<Kind>('presence'), weight: 2 },
  { arbitrary: fc.constant<Kind>('reserve'), weight: 7 },
  { arbitrary: fc.constant<Kind>('cancel'), weight: 2 },
  { arbitrary: fc.constant<Kind>('settle'), weight: 6 },
);
const presence = fc.oneof(
  { arbitrary: fc.constant<Presence>('available'), weight: 3 },
  { arbitrary: fc.constantFrom(...PRESENCES), weight: 2 },
);
const actor = fc.constantFrom<Actor>(agent(AGENT), agent(OTHER_AGENT), supervisor('supervisor-1'), system('routing'));

/** The random ingredients of one command; which command they make is chosen by `kind`. */
const ingredients = fc.record({
  conversation: fc.constantFrom(...CONVERSATIONS),
  /** Cancel and settle mostly name a conversation the agent has a claim on (`choice` picks which). */
  claimed: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
  choice: fc.nat(),
  purpose: fc.constantFrom(...PURPOSES),
  queue: fc.constantFrom(...QUEUES),
  /** A revision of its own, or (weight 3) one relative to the conversation's current claim. */
  revisionBase: fc.oneof({ arbitrary: fc.constant<'claim'>('claim'), weight: 3 }, { arbitrary: fc.integer({ min: 0, max: 6 }), weight: 1 }),
  revisionDelta: fc.constantFrom(-1, 0, 0, 1, 2),
  /** The request of the conversation's current claim (a retry, or its own cancel), or (weight 2) any request. */
  requestBase: fc.oneof({ arbitrary: fc.constant<'claim'>('claim'), weight: 1 }, { arbitrary: fc.constantFrom(...REQUESTS), weight: 2 }),
  presence,
  presenceGiven: fc.boolean(),
  capacity: fc.integer({ min: 0, max: 5 }),
  queueIds: fc.array(fc.constantFrom(...QUEUES), { maxLength: 4 }),
  status: fc.constantFrom(...STATUSES),
  holder: fc.oneof(
    { arbitrary: fc.constant<string | undefined>(AGENT), weight: 4 },
    { arbitrary: fc.constantFrom<string | undefined>(OTHER_AGENT, undefined), weight: 1 },
  ),
  statusAgoMs: fc.constantFrom(0, 10 * SECOND, MINUTE, 5 * MINUTE, HOUR),
  statusSinceKnown: fc.boolean(),
  closedByAgent: fc.constantFrom<boolean | undefined>(true, false, undefined),
  orphanAfterMs: fc.constantFrom<number | undefined>(undefined, undefined, 0, MINUTE, 10 * MINUTE),
  by: actor,
});

/** Time to the next command, or exactly to (or 1 ms before) the end of the soonest running wrap-up block. */
type Timing = 'gap' | 'block-end' | 'just-before-block-end';
const step = fc.record({
  kind,
  ingredients,
  gap: fc.constantFrom(0, 1, 30 * SECOND, MINUTE, 5 * MINUTE, HOUR),
  timing: fc.oneof(
    { arbitrary: fc.constant<Timing>('gap'), weight: 8 },
    { arbitrary: fc.constantFrom<Timing>('block-end', 'just-before-block-end'), weight: 2 },
  ),
});
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

const scenario = fc.record({
  policy,
  /** Each conversation has one channel for the whole sequence. */
  channels: fc.tuple(...CONVERSATIONS.map(() => fc.constantFrom(...CHANNELS))),
  /** Mostly the sequence starts with a registration; sometimes the agent is not registered at first. */
  opening: fc.option(fc.record({ capacity: fc.integer({ min: 1, max: 5 }), queueIds: fc.subarray([...QUEUES], { minLength: 1 }) }), {
    freq: 10,
  }),
  steps: fc.array(step, { minLength: 1, maxLength: 40, size: 'max' }),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

// ---------------------------------------------------------------------------------------------
// Playing a scenario
// ---------------------------------------------------------------------------------------------

const iso = (ms: number) => new Date(ms).toISOString();
const channelOf = (s: Scenario, conversationId: string): Channel =>
  s.channels[CONVERSATIONS.indexOf(conversationId as (typeof CONVERSATIONS)[number])];
const claimsOf = (state: AgentState) => (state.status === 'registered' ? state.claims : {});
const load = (state: AgentState, now: string) => {
  if (state.status !== 'registered') return { capacity: 0, load: 0 };
  const usage = capacityUsage(state, now);
  return { capacity: usage.capacity, load: usage.used + usage.blocked };
};

const timeFor = ({ timing, gap }: Step, state: AgentState, previous: number): number => {
  if (timing === 'gap') return previous + gap;
  const ends = Object.values(claimsOf(state))
    .map((c) => (c.blockedUntil === undefined ? NaN : Date.parse(c.blockedUntil)))
    .filter((end) => end - (timing === 'block-end' ? 0 : 1) >= previous)
    .sort((a, b) => a - b);
  if (ends.length === 0) return previous + gap;
  return timing === 'block-end' ? ends[0] : ends[0] - 1;
};

const build = (s: Scenario, { kind: k, ingredients: i }: Step, state: AgentState, now: string): AgentCommand => {
  const metadata = { now };
  const claimed = Object.keys(claimsOf(state));
  const conversationId =
    (k === 'cancel' || k === 'settle') && i.claimed && claimed.length > 0 ? claimed[i.choice % claimed.length] : i.conversation;
  const claim = claimsOf(state)[conversationId];
  // Revisions below 0 are refused as invalid data before any rule is decided (agent.validation.spec).
  const revision = Math.max(0, (i.revisionBase === 'claim' ? (claim?.conversationRevision ?? 3) : i.revisionBase) + i.revisionDelta);
  const reservationId = i.requestBase === 'claim' ? (claim?.reservationId ?? REQUESTS[0]) : i.requestBase;
  switch (k) {
    case 'register':
      return {
        type: 'RegisterAgent',
        data: {
          agentId: AGENT,
          capacity: i.capacity,
          queueIds: i.queueIds,
          ...(i.presenceGiven ? { presence: i.presence } : {}),
          by: i.by,
        },
        metadata,
      };
    case 'presence':
      return { type: 'ChangePresence', data: { presence: i.presence, by: i.by }, metadata };
    case 'reserve':
      return {
        type: 'ReserveCapacity',
        data: {
          conversationId,
          reservationId,
          channel: channelOf(s, conversationId),
          queueId: i.queue,
          purpose: i.purpose,
          conversationRevision: revision,
          by: i.by,
        },
        metadata,
      };
    case 'cancel':
      return { type: 'CancelReservation', data: { conversationId, reservationId, conversationRevision: revision }, metadata };
    case 'settle': {
      const conversation: ConversationStanding = {
        conversationId,
        revision,
        status: i.status,
        ...(i.holder !== undefined && ['active', 'waiting', 'wrap_up'].includes(i.status) ? { agentId: i.holder } : {}),
        ...(i.status !== 'none' ? { channel: channelOf(s, conversationId) } : {}),
        ...(i.statusSinceKnown && i.status !== 'none' ? { statusSince: iso(Date.parse(now) - i.statusAgoMs) } : {}),
        ...(i.status === 'closed' && i.closedByAgent !== undefined ? { closedByAgent: i.closedByAgent } : {}),
      };
      return {
        type: 'SettleCapacity',
        data: i.orphanAfterMs === undefined ? { conversation } : { conversation, orphanAfterMs: i.orphanAfterMs },
        metadata,
      };
    }
    default: {
      const unknown: never = k;
      return unknown;
    }
  }
};

interface Played {
  command: AgentCommand;
  now: string;
  before: AgentState;
  after: AgentState;
  /** The accepted events, or undefined when refused. */
  events?: AgentEvent[];
  error?: unknown;
  /** Every event accepted so far. */
  history: AgentEvent[];
}

const decideOrThrown = (command: AgentCommand, state: AgentState, s: Scenario): { events?: AgentEvent[]; error?: unknown } => {
  try {
    return { events: decideAgent(command, state, AGENT, s.policy) };
  } catch (error) {
    return { error };
  }
};

const play = (s: Scenario, check: (played: Played) => void): void => {
  let state = initialAgentState();
  const history: AgentEvent[] = [];
  let time = Date.parse(T0);
  const run = (command: AgentCommand) => {
    const before = state;
    const { events, error } = decideOrThrown(command, before, s);
    if (events) {
      state = evolveAgentAll(events, before);
      history.push(...events);
    }
    check({ command, now: command.metadata.now, before, after: state, events, error, history });
  };
  if (s.opening) {
    run({
      type: 'RegisterAgent',
      data: { agentId: AGENT, ...s.opening, presence: 'available', by: supervisor('supervisor-1') },
      metadata: { now: T0 },
    });
  }
  for (const st of s.steps) {
    time = timeFor(st, state, time);
    run(build(s, st, state, iso(time)));
  }
};

/**
 * What a reservation comes to, derived from the rules (not from the decider's code). Against
 * the conversation's current claim:
 *   - made for an older revision than the claim's: nothing (its conversation write cannot land);
 *   - the same revision and the same request (a retry) on a claim still assigned: renewed as it was
 *     made (channel, queue, units, forced) when retried later than it was made, nothing at the same
 *     instant (so repeating a command never writes twice);
 *   - the same revision and the same request on a claim settled to a wrap-up block: nothing;
 *   - the same revision, a claim already settled to a wrap-up block: nothing;
 *   - the same revision, another request, the claim still assigned: AGENT.ASSIGNMENT_IN_PROGRESS
 *     (one of the two writes will land; neither may borrow or replace the other's reservation);
 *   - a later revision (or no claim): checked as new (queue, presence, capacity without the
 *     conversation's own claim), replacing the claim.
 */
const expectedReservation = (command: Extract<AgentCommand, { type: 'ReserveCapacity' }>, before: AgentState, s: Scenario): string => {
  if (before.status !== 'registered') return 'AGENT.NOT_FOUND';
  const { conversationId, reservationId, conversationRevision } = command.data;
  const now = command.metadata.now;
  const existing = before.claims[conversationId];
  if (existing && existing.conversationRevision > conversationRevision) return 'nothing';
  if (existing && existing.conversationRevision === conversationRevision) {
    if (existing.holding === 'wrap_up') return 'nothing';
    if (existing.reservationId === reservationId) return Date.parse(existing.since) < Date.parse(now) ? 'reserved' : 'nothing';
    return 'AGENT.ASSIGNMENT_IN_PROGRESS';
  }
  return checked(command, before, s, now);
};

/** A cancellation gives back exactly the still-assigned claim that request made at that revision. */
const expectedCancellation = (
  command: Extract<AgentCommand, { type: 'CancelReservation' }>,
  before: AgentState,
): 'released' | 'nothing' => {
  if (before.status !== 'registered') return 'nothing';
  const { conversationId, reservationId, conversationRevision } = command.data;
  const claim = before.claims[conversationId];
  const ours =
    claim?.holding === 'assigned' && claim.reservationId === reservationId && claim.conversationRevision === conversationRevision;
  return ours ? 'released' : 'nothing';
};

const checked = (
  command: Extract<AgentCommand, { type: 'ReserveCapacity' }>,
  before: RegisteredAgent,
  s: Scenario,
  now: string,
): string => {
  const { conversationId, purpose, queueId, channel } = command.data;
  if ((purpose === 'pick' || purpose === 'push') && !before.queueIds.includes(queueId)) return 'AGENT.NOT_IN_QUEUE';
  if (!ALLOWED[purpose].includes(before.presence)) return 'AGENT.PRESENCE_DOES_NOT_ALLOW_WORK';
  // Capacity the conversation itself holds is not taken twice: only the other claims count.
  const others = Object.values(before.claims)
    .filter((c) => c.conversationId !== conversationId && claimCounts(c, now))
    .reduce((sum, c) => sum + c.units, 0);
  if (purpose !== 'forced' && others + s.policy.unitsPerConversation[channel] > before.capacity) return 'AGENT.NO_FREE_CAPACITY';
  return 'reserved';
};

const outcomeOf = (events: AgentEvent[] | undefined, error: unknown) =>
  error instanceof AgentError ? error.code : events === undefined ? 'thrown' : events.length === 0 ? 'nothing' : 'reserved';

/** Settles every claimed conversation as closed by the agent (at or after the claim's revision). */
const releaseAll = (state: AgentState, now: string, s: Scenario): AgentState => {
  let current = state;
  for (const claim of Object.values(claimsOf(state))) {
    const conversation: ConversationStanding = {
      conversationId: claim.conversationId,
      revision: claim.conversationRevision + 1,
      status: 'closed',
      channel: claim.channel,
      closedByAgent: true,
    };
    current = evolveAgentAll(
      decideAgent({ type: 'SettleCapacity', data: { conversation }, metadata: { now } }, current, AGENT, s.policy),
      current,
    );
  }
  return current;
};

const RUNS = { numRuns: 400 };
const RELEASE_REASONS = [
  'assignment_failed_reservation_cancelled',
  'conversation_moved_to_another_agent',
  'wrap_up_does_not_block_capacity',
  'wrap_up_block_elapsed',
  'conversation_closed',
  'conversation_returned_to_queue',
  'conversation_waiting',
  'conversation_not_found',
  'orphan_reservation_reconciled',
];

describe('agent decider: properties over random command sequences', () => {
  it('the generated sequences reach every event, release reason, refusal and capacity situation (so the properties mean something)', () => {
    const seen = new Set<string>();
    for (const s of fc.sample(scenario, { ...RUNS, seed: 20260101 })) {
      play(s, ({ command, now, before, after, events, error }) => {
        if (error instanceof AgentError) seen.add(error.code);
        for (const e of events ?? []) {
          seen.add(e.type);
          if (e.type === 'AgentCapacityReleased') seen.add(e.data.reason);
          if (e.type === 'AgentCapacityBlockedForWrapUp') seen.add(e.data.until === undefined ? 'block until closed' : 'fixed block');
          if (e.type === 'AgentCapacityReserved') {
            seen.add(`reserved for ${e.data.purpose}`);
            if (claimsOf(before)[e.data.conversationId]) seen.add('re-reserved at a later revision');
          }
        }
        const l = load(after, now);
        const changedCapacity = events?.some((e) => e.type === 'AgentCapacityChanged');
        if (l.load > l.capacity && command.type === 'RegisterAgent' && changedCapacity) seen.add('capacity lowered below the load');
        if (command.type === 'ReserveCapacity' && events?.length) {
          if (l.load > l.capacity && command.data.purpose === 'forced') seen.add('over capacity by force');
          if (l.load === l.capacity && command.data.purpose !== 'forced') seen.add('filled exactly');
          if (Object.values(claimsOf(before)).some((c) => !claimCounts(c, now))) seen.add('reserved next to a ran-out block');
        }
        if (events?.length === 0 && command.type === 'ReserveCapacity') {
          const claim = claimsOf(before)[command.data.conversationId];
          if (claim && claim.conversationRevision > command.data.conversationRevision) seen.add('older revision wrote nothing');
          if (claim?.conversationRevision === command.data.conversationRevision) {
            if (claim.reservationId === command.data.reservationId) seen.add('retry wrote nothing');
            else if (claim.holding === 'wrap_up') seen.add('another request on a wrap-up block wrote nothing');
          }
        }
        if (command.type === 'ReserveCapacity' && events?.length) {
          const claim = claimsOf(before)[command.data.conversationId];
          if (claim && claim.reservationId !== command.data.reservationId) seen.add('re-reserved by another request');
          if (claim && claim.reservationId === command.data.reservationId) {
            seen.add(
              claim.conversationRevision === command.data.conversationRevision
                ? 'retry renewed its reservation'
                : 're-reserved by the same request',
            );
          }
        }
        if (command.type === 'CancelReservation' && events?.length === 0) {
          const claim = claimsOf(before)[command.data.conversationId];
          if (
            claim?.holding === 'assigned' &&
            claim.conversationRevision === command.data.conversationRevision &&
            claim.reservationId !== command.data.reservationId
          ) {
            seen.add('cancel by another request wrote nothing');
          }
        }
        if (events?.length === 0 && command.type === 'SettleCapacity') {
          const claim = claimsOf(before)[command.data.conversation.conversationId];
          const stale = claim !== undefined && command.data.conversation.revision < claim.conversationRevision;
          if (stale) seen.add('stale standing wrote nothing');
          if (!stale && command.data.conversation.status === 'closed' && claim?.blockedUntil !== undefined)
            seen.add('fixed block outlived a close');
        }
        if (Object.values(claimsOf(after)).some((c) => !claimCounts(c, now))) seen.add('ran-out block not yet released');
      });
    }
    expect([...seen].sort()).toEqual(
      [
        'AGENT.NOT_FOUND',
        'AGENT.NOT_IN_QUEUE',
        'AGENT.PRESENCE_DOES_NOT_ALLOW_WORK',
        'AGENT.NO_FREE_CAPACITY',
        'AGENT.ASSIGNMENT_IN_PROGRESS',
        'AgentRegistered',
        'AgentCapacityChanged',
        'AgentJoinedQueue',
        'AgentLeftQueue',
        'AgentPresenceChanged',
        'AgentCapacityReserved',
        'AgentCapacityBlockedForWrapUp',
        'AgentCapacityReleased',
        ...RELEASE_REASONS,
        'block until closed',
        'fixed block',
        ...PURPOSES.map((p) => `reserved for ${p}`),
        're-reserved at a later revision',
        'retry wrote nothing',
        'retry renewed its reservation',
        'older revision wrote nothing',
        'another request on a wrap-up block wrote nothing',
        're-reserved by another request',
        're-reserved by the same request',
        'cancel by another request wrote nothing',
        'capacity lowered below the load',
        'over capacity by force',
        'filled exactly',
        'fixed block outlived a close',
        'ran-out block not yet released',
        'reserved next to a ran-out block',
        'stale standing wrote nothing',
      ].sort(),
    );
  });

  it('holds its invariants after every command', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        /** Set once a forced reservation was accepted or the capacity was lowered below the load: (3) no longer applies. */
        let mayExceed = false;
        let lastReservedAt: string | undefined;
        play(s, ({ command, now, before, after, events, error, history }) => {
          const at = `${command.type} ${JSON.stringify(command.data)} at ${now}`;
          const check = (ok: boolean, what: string) => {
            if (!ok) throw new Error(`${what} (after ${at})`);
          };

          // Decide throws nothing but AgentError, only for presence changes and reservations, and
          // NOT_FOUND exactly when the agent is not registered.
          if (error !== undefined && !(error instanceof AgentError)) throw error;
          if (error instanceof AgentError) {
            check(
              command.type === 'ChangePresence' || command.type === 'ReserveCapacity',
              `${command.type} was refused with ${error.code}`,
            );
            check(
              (error.code === 'AGENT.NOT_FOUND') === (before.status !== 'registered'),
              `refused with ${error.code} while ${before.status}`,
            );
            check(error.agentId === AGENT && after === before, 'a refusal names another agent or changed the state');
          }
          if (before.status !== 'registered' && (command.type === 'CancelReservation' || command.type === 'SettleCapacity')) {
            check(isDeepStrictEqual(events, []), 'cancel or settle on an unregistered agent wrote something');
          }

          // Every event is this agent's, dated now, with a reason; cancel and settle write on the
          // capacity keeper's account, the others on the requester's.
          for (const e of events ?? []) {
            check(e.data.agentId === AGENT && e.data.at === now && /\S/.test(e.data.reason), `${e.type} misstates agent, time or reason`);
            const expectedBy =
              command.type === 'CancelReservation' || command.type === 'SettleCapacity' ? CAPACITY_KEEPER : command.data.by;
            check(isDeepStrictEqual(e.data.by, expectedBy), `${e.type} by ${JSON.stringify(e.data.by)}`);
          }

          // Reservations follow the rules: retry, queue, presence, capacity (an independent model).
          if (command.type === 'ReserveCapacity') {
            const expected = expectedReservation(command, before, s);
            check(outcomeOf(events, error) === expected, `reservation gave ${outcomeOf(events, error)}, the rules say ${expected}`);
            if (error instanceof AgentError && error.code === 'AGENT.ASSIGNMENT_IN_PROGRESS') {
              check(
                isDeepStrictEqual(error.details, { conversationId: command.data.conversationId }),
                'ASSIGNMENT_IN_PROGRESS misstates its details',
              );
            }
            const renewing = claimsOf(before)[command.data.conversationId];
            const renewal =
              renewing?.reservationId === command.data.reservationId && renewing.conversationRevision === command.data.conversationRevision;
            if (events?.length && renewal) {
              // A retry renews the claim as it was made, whatever the retry's own command says.
              check(events.length === 1, 'a renewal wrote more than one event');
              const e = events[0];
              check(
                e.type === 'AgentCapacityReserved' &&
                  e.data.units === renewing.units &&
                  e.data.forced === renewing.forced &&
                  e.data.channel === renewing.channel &&
                  e.data.queueId === renewing.queueId,
                'a renewal changed the claim it renews',
              );
            } else if (events?.length) {
              check(events.length === 1, 'a reservation wrote more than one event');
              const e = events[0];
              check(
                e.type === 'AgentCapacityReserved' && e.data.units === s.policy.unitsPerConversation[command.data.channel],
                "reserved units are not the channel's",
              );
              check(e.type === 'AgentCapacityReserved' && e.data.forced === (command.data.purpose === 'forced'), 'forced flag is wrong');
              check(
                e.type === 'AgentCapacityReserved' && e.data.reservationId === command.data.reservationId,
                'the reservation names another request',
              );
            }
            if (error instanceof AgentError && error.code === 'AGENT.NO_FREE_CAPACITY') {
              // The conversation's own claim is not counted: a re-reservation does not take it twice.
              const agent = before as RegisteredAgent;
              const usage = capacityUsage({ ...agent, claims: without(agent.claims, command.data.conversationId) }, now);
              check(
                error.details.used === usage.used && error.details.blocked === usage.blocked && error.details.capacity === usage.capacity,
                'NO_FREE_CAPACITY misstates the usage',
              );
              check(
                (error.details.needed as number) > (error.details.free as number) && (error.details.free as number) >= 0,
                'NO_FREE_CAPACITY with room to spare',
              );
            }
          }

          // A cancellation releases exactly that request's still-assigned reservation at that revision.
          if (command.type === 'CancelReservation') {
            const expected = expectedCancellation(command, before);
            const claim = claimsOf(before)[command.data.conversationId];
            const wanted =
              expected === 'released'
                ? [{ type: 'AgentCapacityReleased', reason: 'assignment_failed_reservation_cancelled', units: claim?.units }]
                : [];
            const got = events?.map((e) => ({ type: e.type, reason: e.data.reason, units: 'units' in e.data ? e.data.units : undefined }));
            check(isDeepStrictEqual(got, wanted), `cancellation wrote ${JSON.stringify(got)}, the rules say ${expected}`);
          }

          // A standing older than the claim settles nothing, unless the reservation is an orphan:
          // still assigned, older than orphanAfterMs, and the agent does not hold it anyway.
          if (command.type === 'SettleCapacity') {
            const claim = claimsOf(before)[command.data.conversation.conversationId];
            if (claim && command.data.conversation.revision < claim.conversationRevision) {
              const { orphanAfterMs } = command.data;
              const { agentId, status } = command.data.conversation;
              const heldHere = agentId === AGENT && status === 'active';
              const orphan =
                claim.holding === 'assigned' &&
                !heldHere &&
                orphanAfterMs !== undefined &&
                Date.parse(now) - Date.parse(claim.since) >= orphanAfterMs;
              const expected = orphan ? [{ type: 'AgentCapacityReleased', reason: 'orphan_reservation_reconciled' }] : [];
              check(
                isDeepStrictEqual(
                  events?.map((e) => ({ type: e.type, reason: e.data.reason })),
                  expected,
                ),
                'stale settlement did not follow the orphan rule',
              );
            }
            check((events?.length ?? 0) <= 1, 'a settlement wrote more than one event');
          }

          // Capacity (1)-(3), see the header.
          const was = load(before, now);
          const is = load(after, now);
          const forcedReservation = command.type === 'ReserveCapacity' && command.data.purpose === 'forced';
          // A retry's renewal takes nothing new: the claim it renews was already counted.
          const renewsItsClaim =
            command.type === 'ReserveCapacity' &&
            claimsOf(before)[command.data.conversationId]?.reservationId === command.data.reservationId &&
            claimsOf(before)[command.data.conversationId]?.conversationRevision === command.data.conversationRevision;
          if (command.type === 'ReserveCapacity' && !forcedReservation && !renewsItsClaim && events?.length) {
            check(is.load <= is.capacity, `a non-forced reservation was accepted without fitting: ${is.load} > ${is.capacity}`);
          }
          if (!forcedReservation) {
            check(is.load <= Math.max(is.capacity, was.load), `load went from ${was.load} to ${is.load} with capacity ${is.capacity}`);
          }
          if (forcedReservation && events?.length) mayExceed = true;
          if (command.type === 'RegisterAgent' && events?.some((e) => e.type === 'AgentCapacityChanged') && is.load > is.capacity)
            mayExceed = true;
          if (!mayExceed) check(is.load <= is.capacity, `over capacity without force: ${is.load} > ${is.capacity}`);
          if (after.status === 'registered') check(capacityUsage(after, now).free >= 0, 'negative free capacity');

          // A conversation has at most one claim, under its own id, with the units and revision of
          // its latest reservation; lastAssignedAt is the latest reservation's time.
          for (const [id, claim] of Object.entries(claimsOf(after))) {
            check(claim.conversationId === id && claim.units >= 1, `claim ${id} is filed under another id or holds no units`);
            const reservations = history.filter((e) => e.type === 'AgentCapacityReserved' && e.data.conversationId === id);
            const latest = reservations[reservations.length - 1];
            check(
              latest?.type === 'AgentCapacityReserved' &&
                latest.data.units === claim.units &&
                latest.data.conversationRevision === claim.conversationRevision &&
                latest.data.reservationId === claim.reservationId,
              `claim ${id} is not its latest reservation`,
            );
          }
          for (const e of events ?? []) {
            if (e.type === 'AgentCapacityReserved') lastReservedAt = e.data.at;
            if (e.type === 'AgentCapacityReleased' || e.type === 'AgentCapacityBlockedForWrapUp') {
              const claim = claimsOf(before)[e.data.conversationId];
              check(claim !== undefined && claim.units === e.data.units, `${e.type} for a claim that is not there or with other units`);
              if (e.type === 'AgentCapacityBlockedForWrapUp') check(claim?.holding === 'assigned', 'a wrap-up block blocked again');
            }
          }
          if (after.status === 'registered') check(after.lastAssignedAt === lastReservedAt, 'lastAssignedAt is not the latest reservation');

          // Settling every conversation as closed by the agent leaves no claim.
          const released = releaseAll(after, now, s);
          check(Object.keys(claimsOf(released)).length === 0, `claims left after releasing everything: ${Object.keys(claimsOf(released))}`);

          // Replay: folding the accepted events from scratch gives the state kept step by step.
          check(isDeepStrictEqual(evolveAgentAll(history), after), 'replaying the history gives another state');

          // Deterministic: the same command on the same state decides the same (events or refusal).
          const again = decideOrThrown(command, before, s);
          const summary = (r: { events?: AgentEvent[]; error?: unknown }) =>
            r.error instanceof AgentError ? { code: r.error.code, details: r.error.details, message: r.error.message } : r.events;
          check(isDeepStrictEqual(summary(again), summary({ events, error })), 'deciding the same command twice gave different results');

          // Idempotent: an accepted command decided again on the state it produced writes nothing.
          if (events?.length) {
            const repeated = decideOrThrown(command, after, s);
            check(
              isDeepStrictEqual(repeated.events, []),
              `repeating it wrote ${JSON.stringify(repeated.events ?? (repeated.error as Error)?.message)}`,
            );
          }
        });
      }),
      RUNS,
    );
  });
});
