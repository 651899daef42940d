import {
  decideQueue,
  evolveQueue,
  initialQueueState,
  isQueueEvent,
  type Actor,
  type QueueSettings,
  type QueueState,
} from '@lib/domain';
import { WrongExpectedRevisionError, type EventStore } from '@lib/event-store';
import { deterministicUuid, fingerprint } from '../shared/deterministic-id';
import { KeyedSerializer } from '../shared/keyed-serializer';

export const QUEUE_STREAM_PREFIX = 'queue-';
export const queueStream = (queueId: string): string => `${QUEUE_STREAM_PREFIX}${queueId}`;

/** A conversation named a queue nobody defined: answer 404 naming the field. */
export class QueueNotFoundError extends Error {
  readonly code = 'QUEUE.NOT_FOUND';
  constructor(readonly queueId: string, readonly field: string) {
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
  private readonly perQueue = new KeyedSerializer();

  constructor(private readonly store: EventStore) {}

  async requireExisting(queueId: string, field: string): Promise<void> {
    if (this.known.has(queueId)) return;
    const { state } = await this.load(queueId);
    if (state.status !== 'defined') throw new QueueNotFoundError(queueId, field);
  }

  async get(queueId: string): Promise<QueueState> {
    return (await this.load(queueId)).state;
  }

  define(queueId: string, settings: QueueSettings, by: Actor, now: string): Promise<QueueDefinitionResult> {
    return this.perQueue.run(queueId, async () => {
      const stream = queueStream(queueId);
      for (let attempt = 1; ; attempt++) {
        const { state, revision } = await this.load(queueId);
        const command = { type: 'DefineQueue' as const, data: { queueId, settings, by }, metadata: { now } };
        const events = decideQueue(command, state);
        const after = events.reduce(evolveQueue, state);
        if (after.status !== 'defined') throw new Error(`Queue ${queueId} is not defined after DefineQueue`);
        if (events.length === 0) return { queue: after, created: false, changed: false, revision };
        try {
          const commandFingerprint = fingerprint(command.data);
          const appended = await this.store.appendToStream(
            stream,
            events.map((event, index) => ({
              id: deterministicUuid(stream, String(revision), commandFingerprint, String(index)),
              type: event.type,
              data: event.data,
            })),
            { expectedRevision: revision === -1 ? 'no_stream' : revision },
          );
          this.known.add(queueId);
          return {
            queue: after, created: state.status === 'none', changed: true,
            revision: appended.nextExpectedRevision, position: appended.position,
          };
        } catch (error) {
          if (!(error instanceof WrongExpectedRevisionError) || attempt >= 5) throw error;
        }
      }
    });
  }

  private async load(queueId: string): Promise<{ state: QueueState; revision: number }> {
    const recorded = await this.store.readStream(queueStream(queueId));
    let state = initialQueueState();
    for (const event of recorded) {
      if (isQueueEvent(event)) state = evolveQueue(state, event);
    }
    if (state.status === 'defined') this.known.add(queueId);
    return { state, revision: recorded.length > 0 ? recorded[recorded.length - 1].revision : -1 };
  }
}
