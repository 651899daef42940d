import type { Answer, JsonBody, TestApp } from './start-app';

export type Status = 'open' | 'active' | 'waiting' | 'wrap_up' | 'closed';
export type ActorKind = 'agent' | 'customer' | 'supervisor' | 'system';

/** One event the history must show, in order. `at` is filled in with the clock time of the request. */
export interface ExpectedEvent {
  type: string;
  actor: { kind: ActorKind; id: string };
  reason: string;
}

/** The same facts as ExpectedEvent, once sent: with the time and the revision it must carry. */
interface RecordedExpectation extends ExpectedEvent {
  at: string;
}

/** What one accepted command answered, kept to check its position against the history. */
interface AcceptedCommand {
  path: string;
  revision: number;
  position: number;
}

// Builders for the events' actor and reason, as the audit trail records them.
export const ev = {
  opened: (customerId: string): ExpectedEvent => ({
    type: 'ConversationOpened',
    actor: { kind: 'customer', id: customerId },
    reason: 'customer_started',
  }),
  picked: (agentId: string): ExpectedEvent => ({
    type: 'ConversationPicked',
    actor: { kind: 'agent', id: agentId },
    reason: 'agent_picked_from_queue',
  }),
  pushedByRouting: (): ExpectedEvent => ({
    type: 'ConversationPushedToAgent',
    actor: { kind: 'system', id: 'routing' },
    reason: 'routed_to_agent',
  }),
  pushedBySupervisor: (supervisorId: string): ExpectedEvent => ({
    type: 'ConversationPushedToAgent',
    actor: { kind: 'supervisor', id: supervisorId },
    reason: 'supervisor_offered_to_agent',
  }),
  forceAssigned: (supervisorId: string): ExpectedEvent => ({
    type: 'ConversationForceAssigned',
    actor: { kind: 'supervisor', id: supervisorId },
    reason: 'supervisor_forced_assignment',
  }),
  accepted: (agentId: string): ExpectedEvent => ({
    type: 'ConversationPushAccepted',
    actor: { kind: 'agent', id: agentId },
    reason: 'agent_accepted_push',
  }),
  rejected: (agentId: string, reason = 'agent_rejected_push'): ExpectedEvent => ({
    type: 'ConversationPushRejected',
    actor: { kind: 'agent', id: agentId },
    reason,
  }),
  endedByAgent: (agentId: string): ExpectedEvent => ({
    type: 'ConversationEndedByAgent',
    actor: { kind: 'agent', id: agentId },
    reason: 'agent_pressed_end',
  }),
  endedByCustomer: (customerId: string): ExpectedEvent => ({
    type: 'ConversationEndedByCustomer',
    actor: { kind: 'customer', id: customerId },
    reason: 'customer_ended',
  }),
  abandoned: (customerId: string): ExpectedEvent => ({
    type: 'ConversationAbandonedByCustomer',
    actor: { kind: 'customer', id: customerId },
    reason: 'customer_ended',
  }),
  wrapUpCompleted: (agentId: string): ExpectedEvent => ({
    type: 'ConversationWrapUpCompleted',
    actor: { kind: 'agent', id: agentId },
    reason: 'agent_closed_session_after_wrap_up',
  }),
  requeuedOnSessionClose: (agentId: string): ExpectedEvent => ({
    type: 'ConversationRequeuedOnSessionClose',
    actor: { kind: 'agent', id: agentId },
    reason: 'agent_closed_active_live_chat_session',
  }),
  parked: (agentId: string): ExpectedEvent => ({
    type: 'ConversationParked',
    actor: { kind: 'agent', id: agentId },
    reason: 'agent_closed_session_without_ending',
  }),
  released: (agentId: string): ExpectedEvent => ({
    type: 'ConversationReleasedToQueue',
    actor: { kind: 'agent', id: agentId },
    reason: 'agent_released_to_queue',
  }),
  transferredToQueue: (agentId: string): ExpectedEvent => ({
    type: 'ConversationTransferredToQueue',
    actor: { kind: 'agent', id: agentId },
    reason: 'agent_transferred_to_queue',
  }),
  transferredToAgent: (agentId: string): ExpectedEvent => ({
    type: 'ConversationTransferredToAgent',
    actor: { kind: 'agent', id: agentId },
    reason: 'agent_transferred_to_agent',
  }),
  resolved: (agentId: string): ExpectedEvent => ({
    type: 'ConversationResolved',
    actor: { kind: 'agent', id: agentId },
    reason: 'agent_resolved_record',
  }),
  revivedByAgent: (agentId: string): ExpectedEvent => ({
    type: 'ConversationRevivedByAgent',
    actor: { kind: 'agent', id: agentId },
    reason: 'agent_revived_from_my_work_items',
  }),
  revivedByCustomer: (customerId: string): ExpectedEvent => ({
    type: 'ConversationRevivedByCustomer',
    actor: { kind: 'customer', id: customerId },
    reason: 'customer_wrote_within_revive_window',
  }),
  agentDisconnected: (agentId: string): ExpectedEvent => ({
    type: 'AgentDisconnected',
    actor: { kind: 'agent', id: agentId },
    reason: 'agent_connection_lost',
  }),
  agentReconnected: (agentId: string): ExpectedEvent => ({
    type: 'AgentReconnected',
    actor: { kind: 'agent', id: agentId },
    reason: 'agent_reconnected',
  }),
  customerDisconnected: (customerId: string): ExpectedEvent => ({
    type: 'CustomerDisconnected',
    actor: { kind: 'customer', id: customerId },
    reason: 'customer_connection_lost',
  }),
  customerReconnected: (customerId: string): ExpectedEvent => ({
    type: 'CustomerReconnected',
    actor: { kind: 'customer', id: customerId },
    reason: 'customer_reconnected',
  }),
  customerMessage: (customerId: string): ExpectedEvent => ({
    type: 'CustomerMessageReceived',
    actor: { kind: 'customer', id: customerId },
    reason: 'customer_wrote',
  }),
  agentMessage: (agentId: string): ExpectedEvent => ({
    type: 'AgentMessageSent',
    actor: { kind: 'agent', id: agentId },
    reason: 'agent_wrote',
  }),
  consultStarted: (agentId: string): ExpectedEvent => ({
    type: 'ConsultStarted',
    actor: { kind: 'agent', id: agentId },
    reason: 'agent_started_consult',
  }),
  consultEnded: (consultantId: string): ExpectedEvent => ({
    type: 'ConsultEnded',
    actor: { kind: 'agent', id: consultantId },
    reason: 'consultant_left',
  }),
  monitoringStarted: (supervisorId: string): ExpectedEvent => ({
    type: 'MonitoringStarted',
    actor: { kind: 'supervisor', id: supervisorId },
    reason: 'supervisor_started_monitoring',
  }),
  forceClosed: (supervisorId: string, reason: string): ExpectedEvent => ({
    type: 'ConversationForceClosed',
    actor: { kind: 'supervisor', id: supervisorId },
    reason,
  }),
};

/** Time between two steps of a walk, so every event has its own, known time. */
export const STEP_MS = 7_000;

/**
 * Drives one conversation through HTTP, step by step, checking every answer as it comes, and
 * remembering what the history must say at the end.
 */
export class ConversationWalk {
  private readonly expected: RecordedExpectation[] = [];
  private readonly accepted: AcceptedCommand[] = [];
  revision = -1;
  status: Status | undefined;

  constructor(
    private readonly t: TestApp,
    readonly id: string,
    readonly customerId = `cust-${id}`,
  ) {}

  /** POST /api/conversations: 201, Location, ETag "0". */
  async open(channel: string, queueId = 'support', extra: Record<string, unknown> = {}): Promise<Answer> {
    const at = this.t.clock.now().toISOString();
    const answer = await this.t.post('/api/conversations', { channel, queueId, customerId: this.customerId, id: this.id, ...extra });
    expect(answer.statusCode).toBe(201);
    expect(answer.headers.location).toBe(`/api/conversations/${this.id}`);
    this.check(answer, '', 'open', [ev.opened(this.customerId)], at);
    return answer;
  }

  /**
   * POST /api/conversations/:id/<path>: 200 with { id, status, revision, position } and the ETag;
   * the events it must have written are remembered with the clock time of the request.
   */
  async step(path: string, body: Record<string, unknown>, status: Status, events: ExpectedEvent[]): Promise<Answer> {
    const at = this.t.clock.now().toISOString();
    const answer = await this.t.post(`/api/conversations/${this.id}/${path}`, body);
    if (answer.statusCode !== 200) {
      throw new Error(`POST ${path} ${JSON.stringify(body)} answered ${answer.statusCode}: ${answer.text}`);
    }
    this.check(answer, path, status, events, at);
    return answer;
  }

  /**
   * A command the current state refuses: 409 with where it stands and what it allows; nothing
   * written. An agent acting on a conversation it does not hold lacks the relation: 403
   * AUTH.FORBIDDEN naming it, still with where it stands.
   */
  async refused(path: string, body: Record<string, unknown>, expected: { code?: string; allowedActions: string[] }): Promise<Answer> {
    await this.t.provision(`/api/conversations/${this.id}/${path}`, body);
    const before = await this.t.store.headPosition();
    const answer = await this.t.post(`/api/conversations/${this.id}/${path}`, body);
    if (expected.code === 'CONVERSATION.NOT_HELD_BY_AGENT') {
      expect({ path, statusCode: answer.statusCode }).toEqual({ path, statusCode: 403 });
      expect(answer.body).toMatchObject({ statusCode: 403, code: 'AUTH.FORBIDDEN', relation: 'holder', status: this.status });
    } else {
      expect({ path, statusCode: answer.statusCode }).toEqual({ path, statusCode: 409 });
      expect(answer.body).toMatchObject({
        statusCode: 409,
        code: expected.code ?? 'CONVERSATION.TRANSITION_NOT_ALLOWED',
        conversationId: this.id,
        status: this.status,
      });
    }
    expect(sorted(answer.body.allowedActions)).toEqual(sorted(expected.allowedActions));
    expect(answer.headers.etag).toBeUndefined();
    expect(await this.t.store.headPosition()).toBe(before);
    return answer;
  }

  /** Moves the manual clock on, so the next event has a later, known time. */
  tick(ms = STEP_MS): void {
    this.t.clock.advance(ms);
  }

  /** GET /api/conversations/:id: the current view, with its ETag. */
  /** `allowedActions` left out: not checked (the caller checks it elsewhere). */
  async expectView(expected: { status: Status; agentId?: string; allowedActions?: string[]; [key: string]: unknown }): Promise<Answer> {
    const answer = await this.t.get(`/api/conversations/${this.id}`);
    expect(answer.statusCode).toBe(200);
    expect(answer.headers.etag).toBe(`"${this.revision}"`);
    const { allowedActions, agentId, ...rest } = expected;
    expect(answer.body).toMatchObject({ id: this.id, revision: this.revision, ...rest });
    expect(answer.body.agentId).toBe(agentId);
    if (allowedActions !== undefined) expect(sorted(answer.body.allowedActions)).toEqual(sorted(allowedActions));
    return answer;
  }

  /**
   * GET /api/conversations/:id/history: every event in order, with its type, the clock time at
   * which its command was sent, its actor and reason, revisions 0..n, and the global positions
   * the commands answered.
   */
  async expectHistory(): Promise<Answer> {
    const answer = await this.t.get(`/api/conversations/${this.id}/history`);
    expect(answer.statusCode).toBe(200);
    expect(answer.body.id).toBe(this.id);
    const events = answer.body.events as Array<Record<string, JsonBody>>;
    expect(events.map(({ type, at, actor, reason, revision }) => ({ type, at, actor, reason, revision }))).toEqual(
      this.expected.map((e, revision) => ({ ...e, revision })),
    );
    const positions = events.map((e) => e.position as number);
    positions.forEach((position, i) => i > 0 && expect(position).toBeGreaterThan(positions[i - 1]));
    for (const command of this.accepted) {
      expect({ path: command.path, position: events[command.revision].position }).toEqual({
        path: command.path,
        position: command.position,
      });
    }
    expect(this.revision).toBe(events.length - 1);
    return answer;
  }

  private check(answer: Answer, path: string, status: Status, events: ExpectedEvent[], at: string): void {
    const revision = this.revision + events.length;
    expect({ path, body: answer.body }).toEqual({
      path,
      body: { id: this.id, status, revision, position: expect.any(Number) },
    });
    expect({ path, etag: answer.headers.etag }).toEqual({ path, etag: `"${revision}"` });
    expect(answer.headers['idempotent-replayed']).toBeUndefined();
    this.expected.push(...events.map((e) => ({ ...e, at })));
    this.accepted.push({ path, revision, position: answer.body.position });
    this.revision = revision;
    this.status = status;
    this.tick();
  }
}

export const sorted = (values: unknown): string[] => [...((values ?? []) as string[])].sort();

/**
 * What the permission table allows in each situation (the names 409 answers list). The system's
 * own actions (timers, auto-close) are listed too: the table does not tell callers apart.
 */
export const allowed = {
  openLiveChat: ['pick', 'assign', 'end-by-customer', 'customer-disconnect', 'customer-message', 'monitor', 'force-close', 'auto-close'],
  open: ['pick', 'assign', 'customer-message', 'monitor', 'force-close', 'auto-close'],
  activeLiveChat: [
    'end-by-agent',
    'end-by-customer',
    'close-session',
    'release',
    'transfer',
    'agent-disconnect',
    'customer-disconnect',
    'customer-message',
    'agent-message',
    'consult',
    'monitor',
    'force-close',
    'auto-close',
  ],
  activeAsync: [
    'end-by-agent',
    'close-session',
    'release',
    'transfer',
    'agent-disconnect',
    'customer-message',
    'agent-message',
    'consult',
    'monitor',
    'force-close',
    'auto-close',
  ],
  activeVoice: [
    'end-by-agent',
    'release',
    'transfer',
    'agent-disconnect',
    'customer-message',
    'agent-message',
    'consult',
    'monitor',
    'force-close',
    'auto-close',
  ],
  activeRecord: ['release', 'transfer', 'resolve', 'customer-message', 'agent-message', 'consult', 'monitor', 'force-close', 'auto-close'],
  awaitingAcceptance: ['accept', 'reject', 'expire-push-reservation', 'customer-message', 'monitor', 'force-close', 'auto-close'],
  awaitingAcceptanceLiveChat: [
    'accept',
    'reject',
    'expire-push-reservation',
    'end-by-customer',
    'customer-disconnect',
    'customer-message',
    'monitor',
    'force-close',
    'auto-close',
  ],
  agentDisconnected: ['agent-reconnect', 'time-out-agent-disconnect', 'customer-message', 'monitor', 'force-close', 'auto-close'],
  waiting: ['revive', 'customer-message', 'agent-message', 'monitor', 'force-close', 'auto-close', 'close-for-inactivity'],
  wrapUp: ['close-session', 'monitor', 'force-close', 'auto-close'],
  closed: [] as string[],
};

/** Adds the live-chat customer connection actions to a list. */
export const withCustomerConnected = (list: string[]): string[] => [...list, 'end-by-customer', 'customer-disconnect'];

/**
 * Every command route with a body that passes validation: once a conversation is closed, each
 * must answer 409 (status closed, nothing allowed) and write nothing.
 */
export const everyCommand = (agentId: string): Array<[string, Record<string, unknown>]> => [
  ['pick', { agentId }],
  ['assign', { agentId }],
  ['assign', { agentId, force: true, supervisorId: 'sup-1' }],
  ['accept', { agentId }],
  ['reject', { agentId }],
  ['end', { by: 'agent', agentId }],
  ['end', { by: 'customer' }],
  ['close-session', { agentId }],
  ['release', { agentId }],
  ['transfer', { agentId, toQueueId: 'elsewhere' }],
  ['transfer', { agentId, toAgentId: 'agent-other' }],
  ['resolve', { agentId }],
  ['revive', { agentId }],
  ['agent-disconnect', { agentId }],
  ['agent-reconnect', { agentId }],
  ['customer-disconnect', {}],
  ['customer-reconnect', {}],
  ['messages', { from: 'customer' }],
  ['messages', { from: 'agent', agentId }],
  ['consult', { agentId, consultantId: 'agent-helper' }],
  ['consult-end', { consultantId: 'agent-helper' }],
  ['monitor', { supervisorId: 'sup-1' }],
  ['close', { supervisorId: 'sup-1', reason: 'again' }],
];

/** Closed is final: every command is refused with status closed and an empty list; nothing written. */
export const expectClosedRefusesEverything = async (t: TestApp, walk: ConversationWalk, agentId: string): Promise<void> => {
  for (const [path, body] of everyCommand(agentId)) {
    await walk.refused(path, body, { allowedActions: [] });
  }
  const before = await t.store.headPosition();
  const reopen = await t.post('/api/conversations', { channel: 'live_chat', queueId: 'support', customerId: walk.customerId, id: walk.id });
  expect(reopen.statusCode).toBe(409);
  expect(reopen.body).toMatchObject({ code: 'CONVERSATION.ALREADY_EXISTS', status: 'closed', allowedActions: [] });
  expect(await t.store.headPosition()).toBe(before);
};
