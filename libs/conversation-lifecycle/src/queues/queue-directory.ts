import type { Actor, DefineQueue, QueueEvent, QueueSettings, QueueState } from '@lib/domain';
import type { EventStore } from '@lib/event-store';
import type { CausationMetadata } from '../shared/causation';
import { observed, UNOBSERVED, type LifecycleObserver } from '../shared/lifecycle-observer';
import { CommandLoop } from '../shared/command-loop';
import { DEFAULT_COMMAND_RETRY, loopPolicy, type CommandRetryPolicy } from '../shared/command-retry';
import { queueKind } from './queue-kind';

export { QueueConcurrencyExhaustedError } from './queue-kind';

/** Queues are few; each is kept once read. */
const CACHED_QUEUES = 10_000;

/** A conversation named a queue nobody defined: answer 404 naming the field. */
export class QueueNotFoundError extends Error {
  readonly code = 'QUEUE.NOT_FOUND';
  constructor(
    readonly queueId: string,
    readonly field: string,
  ) {
    super(`Queue ${queueId} does not exist; create it with POST /api/queues or name an existing queue in ${field}`);
  }
}

export interface QueueDefinitionResult {
  queue: Extract<QueueState, { status: 'defined' }>;
  created: boolean;
  changed: boolean;
  revision: number;
  position?: number;
}

/**
 * The queues, from their own streams. Queues are never deleted, so once one is known to exist
 * this process keeps knowing it; only an unknown id costs a read.
 */
export class QueueDirectory {
  private readonly known = new Set<string>();
  private readonly loop: CommandLoop<DefineQueue, QueueEvent, QueueState>;

  constructor(
    store: EventStore,
    retry: CommandRetryPolicy = DEFAULT_COMMAND_RETRY,
    private readonly observer: LifecycleObserver = UNOBSERVED,
  ) {
    this.loop = new CommandLoop(store, queueKind, loopPolicy(retry, CACHED_QUEUES));
  }

  async requireExisting(queueId: string, field: string): Promise<void> {
    if (this.known.has(queueId)) return;
    const { state } = await this.load(queueId);
    if (state.status !== 'defined') throw new QueueNotFoundError(queueId, field);
  }

  async get(queueId: string): Promise<QueueState> {
    return (await this.load(queueId)).state;
  }

  async define(queueId: string, settings: QueueSettings, by: Actor, now: string, why?: CausationMetadata): Promise<QueueDefinitionResult> {
    const command: DefineQueue = { type: 'DefineQueue', data: { queueId, settings, by }, metadata: { now } };
    const { state, revision, events, position } = await observed(
      this.observer,
      'queue',
      command.type,
      () => this.loop.execute(queueId, { command, metadata: why && { ...why } }),
      (outcome) => (outcome.events.length > 0 ? 'applied' : 'unchanged'),
    );
    if (state.status !== 'defined') throw new Error(`Queue ${queueId} is not defined after DefineQueue`);
    this.known.add(queueId);
    const created = events.some((event) => event.type === 'QueueCreated');
    return { queue: state, created, changed: events.length > 0, revision, position };
  }

  private async load(queueId: string): Promise<{ state: QueueState; revision: number }> {
    const { state, revision } = await this.loop.load(queueId);
    if (state.status === 'defined') this.known.add(queueId);
    return { state, revision };
  }
}
