import {
  decideQueue,
  evolveQueue,
  initialQueueState,
  queueStream,
  toQueueEvent,
  type DefineQueue,
  type QueueEvent,
  type QueueState,
} from '@lib/domain';
import type { AggregateKind } from '../shared/command-loop';
import { fingerprint } from '../shared/deterministic-id';

/** Every attempt lost the race for the queue's stream to other writers: the caller may retry. */
export class QueueConcurrencyExhaustedError extends Error {
  readonly code = 'QUEUE.CONCURRENT_UPDATE';
  constructor(
    readonly queueId: string,
    readonly attempts: number,
  ) {
    super(`Queue ${queueId} kept changing under ${attempts} attempts; retry the command`);
  }
}

/** Queues as the command loop runs them. */
export const queueKind: AggregateKind<DefineQueue, QueueEvent, QueueState> = {
  streamOf: queueStream,
  initialState: initialQueueState,
  decode: toQueueEvent,
  evolve: evolveQueue,
  decide: (command, state) => decideQueue(command, state),
  fingerprint: (command) => fingerprint(command.data),
  // The queue decider refuses nothing that depends on the state: only invalid definitions.
  isRefusal: () => false,
  statusOf: (state) => state.status,
  errors: {
    exhausted: (queueId, attempts) => new QueueConcurrencyExhaustedError(queueId, attempts),
    revisionMismatch: (queueId) => new Error(`Queue ${queueId}: definitions are not pinned to a revision`),
    commandIdReused: (queueId) => new Error(`Queue ${queueId}: definitions carry no idempotency key`),
  },
};
